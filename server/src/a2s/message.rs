//! Single-packet layouts: the requests we send and the messages servers answer with
//! (challenge, A2S_INFO in the Source and the GoldSource layout, A2S_PLAYER).

use super::reader::Reader;
use super::split::{parse_split, SplitPart};
use super::A2sError;

const SINGLE: u32 = 0xFFFF_FFFF;
const SPLIT: u32 = 0xFFFF_FFFE;

const A2S_INFO: u8 = 0x54;
const A2S_PLAYER: u8 = 0x55;
const S2C_CHALLENGE: u8 = 0x41;
const INFO_SOURCE: u8 = 0x49;
const INFO_GOLDSRC: u8 = 0x6D;
const PLAYER_RESPONSE: u8 = 0x44;

/// What A2S_PLAYER sends before the server handed out a challenge.
pub const NO_CHALLENGE: [u8; 4] = [0xFF; 4];

/// The Ship (app 2400) adds three bytes to A2S_INFO.
const THE_SHIP: u16 = 2400;

/// `A2S_INFO`, with the challenge once the server asked for one (servers since 2020 do).
pub fn info_request(challenge: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(29);
    out.extend_from_slice(&SINGLE.to_le_bytes());
    out.push(A2S_INFO);
    out.extend_from_slice(b"Source Engine Query\0");
    if let Some(c) = challenge {
        out.extend_from_slice(&c);
    }
    out
}

/// `A2S_PLAYER` with `challenge` ([`NO_CHALLENGE`] to ask for one).
pub fn player_request(challenge: [u8; 4]) -> Vec<u8> {
    let mut out = Vec::with_capacity(9);
    out.extend_from_slice(&SINGLE.to_le_bytes());
    out.push(A2S_PLAYER);
    out.extend_from_slice(&challenge);
    out
}

/// One UDP datagram from a server: a whole message, or one part of a split one.
#[derive(Debug, PartialEq)]
pub enum Datagram<'a> {
    /// The message after the `FF FF FF FF` header.
    Single(&'a [u8]),
    Part(SplitPart),
}

pub fn parse_datagram(bytes: &[u8]) -> Result<Datagram<'_>, A2sError> {
    let mut r = Reader::new(bytes);
    match r.u32("packet header")? {
        SINGLE => Ok(Datagram::Single(r.rest())),
        SPLIT => parse_split(r.rest()).map(Datagram::Part),
        other => Err(A2sError::BadHeader(other)),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServerInfo {
    pub name: String,
    pub map: String,
    pub folder: String,
    pub game: String,
    pub players: u8,
    pub max_players: u8,
    pub bots: u8,
    /// Empty for GoldSource servers, which do not send it.
    pub version: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Player {
    pub index: u8,
    pub name: String,
    pub score: i32,
    /// Seconds connected.
    pub duration: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Challenge([u8; 4]),
    Info(ServerInfo),
    Players(Vec<Player>),
}

impl Message {
    pub fn kind(&self) -> u8 {
        match self {
            Message::Challenge(_) => S2C_CHALLENGE,
            Message::Info(_) => INFO_SOURCE,
            Message::Players(_) => PLAYER_RESPONSE,
        }
    }

    pub(crate) const INFO: u8 = INFO_SOURCE;
    pub(crate) const PLAYERS: u8 = PLAYER_RESPONSE;
}

/// A whole message (single packet, or split parts put back together), header removed.
pub fn parse_message(payload: &[u8]) -> Result<Message, A2sError> {
    let mut r = Reader::new(payload);
    match r.u8("message type")? {
        S2C_CHALLENGE => Ok(Message::Challenge(r.bytes4("challenge number")?)),
        INFO_SOURCE => parse_source_info(&mut r).map(Message::Info),
        INFO_GOLDSRC => parse_goldsrc_info(&mut r).map(Message::Info),
        PLAYER_RESPONSE => parse_players(&mut r).map(Message::Players),
        other => Err(A2sError::UnknownType(other)),
    }
}

fn parse_source_info(r: &mut Reader) -> Result<ServerInfo, A2sError> {
    let _protocol = r.u8("protocol")?;
    let name = r.cstring("server name")?;
    let map = r.cstring("map")?;
    let folder = r.cstring("folder")?;
    let game = r.cstring("game")?;
    let app_id = r.u16("app id")?;
    let players = r.u8("player count")?;
    let max_players = r.u8("max players")?;
    let bots = r.u8("bot count")?;
    let _server_type = r.u8("server type")?;
    let _environment = r.u8("environment")?;
    let _visibility = r.u8("visibility")?;
    let _vac = r.u8("vac")?;
    if app_id == THE_SHIP {
        let _mode = r.u8("the ship mode")?;
        let _witnesses = r.u8("the ship witnesses")?;
        let _duration = r.u8("the ship duration")?;
    }
    let version = r.cstring("version")?;
    // The extra data (port, SteamID, SourceTV, keywords, game id) is optional and unused here.
    Ok(ServerInfo {
        name,
        map,
        folder,
        game,
        players,
        max_players,
        bots,
        version,
    })
}

fn parse_goldsrc_info(r: &mut Reader) -> Result<ServerInfo, A2sError> {
    let _address = r.cstring("address")?;
    let name = r.cstring("server name")?;
    let map = r.cstring("map")?;
    let folder = r.cstring("folder")?;
    let game = r.cstring("game")?;
    let players = r.u8("player count")?;
    let max_players = r.u8("max players")?;
    let _protocol = r.u8("protocol")?;
    // Mod details and the bot count follow; optional in practice, so a short tail is fine.
    Ok(ServerInfo {
        name,
        map,
        folder,
        game,
        players,
        max_players,
        bots: 0,
        version: String::new(),
    })
}

/// The count byte includes players still connecting, who are not listed: the list may end
/// early, but only between two entries.
fn parse_players(r: &mut Reader) -> Result<Vec<Player>, A2sError> {
    let count = r.u8("player count")?;
    let mut players = Vec::with_capacity(count as usize);
    for _ in 0..count {
        if r.remaining() == 0 {
            break;
        }
        players.push(Player {
            index: r.u8("player index")?,
            name: r.cstring("player name")?,
            score: r.i32("player score")?,
            duration: r.f32("player duration")?,
        });
    }
    Ok(players)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An A2S_INFO answer as a Source server sends it (layout of Valve's page), with EDF.
    pub(crate) fn source_info_packet() -> Vec<u8> {
        let mut p = vec![0xFF, 0xFF, 0xFF, 0xFF, 0x49, 0x11];
        for s in [
            "Staff Server #1",
            "de_dust2",
            "csgo",
            "Counter-Strike: Global Offensive",
        ] {
            p.extend_from_slice(s.as_bytes());
            p.push(0);
        }
        p.extend_from_slice(&730u16.to_le_bytes());
        p.extend_from_slice(&[5, 24, 1, b'd', b'l', 0, 1]);
        p.extend_from_slice(b"1.38.7.9\0");
        p.push(0x80); // EDF: port follows
        p.extend_from_slice(&27015u16.to_le_bytes());
        p
    }

    fn players_packet(names: &[&str], count: u8) -> Vec<u8> {
        let mut p = vec![0xFF, 0xFF, 0xFF, 0xFF, 0x44, count];
        for (i, n) in names.iter().enumerate() {
            p.push(i as u8);
            p.extend_from_slice(n.as_bytes());
            p.push(0);
            p.extend_from_slice(&(i as i32 * 10).to_le_bytes());
            p.extend_from_slice(&(61.5f32).to_le_bytes());
        }
        p
    }

    fn message(bytes: &[u8]) -> Result<Message, A2sError> {
        match parse_datagram(bytes)? {
            Datagram::Single(payload) => parse_message(payload),
            Datagram::Part(_) => panic!("expected a single packet"),
        }
    }

    #[test]
    fn requests_follow_valves_layout() {
        assert_eq!(
            info_request(None),
            b"\xFF\xFF\xFF\xFFTSource Engine Query\0".to_vec()
        );
        assert_eq!(
            info_request(Some([1, 2, 3, 4])),
            b"\xFF\xFF\xFF\xFFTSource Engine Query\0\x01\x02\x03\x04".to_vec()
        );
        assert_eq!(
            player_request(NO_CHALLENGE),
            vec![0xFF, 0xFF, 0xFF, 0xFF, 0x55, 0xFF, 0xFF, 0xFF, 0xFF]
        );
    }

    #[test]
    fn parses_a_source_info_answer() {
        let Message::Info(info) = message(&source_info_packet()).unwrap() else {
            panic!("not info")
        };
        assert_eq!(info.name, "Staff Server #1");
        assert_eq!(info.map, "de_dust2");
        assert_eq!(info.game, "Counter-Strike: Global Offensive");
        assert_eq!((info.players, info.max_players, info.bots), (5, 24, 1));
        assert_eq!(info.version, "1.38.7.9");
    }

    #[test]
    fn parses_a_goldsource_info_answer() {
        let mut p = vec![0xFF, 0xFF, 0xFF, 0xFF, 0x6D];
        for s in [
            "127.0.0.1:27015",
            "Old HL",
            "crossfire",
            "valve",
            "Half-Life",
        ] {
            p.extend_from_slice(s.as_bytes());
            p.push(0);
        }
        p.extend_from_slice(&[3, 16, 47]);
        let Message::Info(info) = message(&p).unwrap() else {
            panic!("not info")
        };
        assert_eq!(
            (info.name.as_str(), info.map.as_str()),
            ("Old HL", "crossfire")
        );
        assert_eq!((info.players, info.max_players), (3, 16));
    }

    #[test]
    fn parses_players_and_a_list_shorter_than_its_count() {
        let Message::Players(players) =
            message(&players_packet(&["Alice", "[Staff] Bob"], 2)).unwrap()
        else {
            panic!("not players")
        };
        assert_eq!(players.len(), 2);
        assert_eq!(players[1].name, "[Staff] Bob");
        assert_eq!(players[1].score, 10);
        assert_eq!(players[0].duration, 61.5);
        // A third player is still connecting: counted, not listed.
        let Message::Players(players) = message(&players_packet(&["Alice", "Bob"], 3)).unwrap()
        else {
            panic!("not players")
        };
        assert_eq!(players.len(), 2);
        let Message::Players(none) = message(&players_packet(&[], 0)).unwrap() else {
            panic!("not players")
        };
        assert!(none.is_empty());
    }

    #[test]
    fn invalid_utf8_names_are_replaced_not_refused() {
        let mut p = vec![0xFF, 0xFF, 0xFF, 0xFF, 0x44, 1, 0, 0xC3, 0x28, 0];
        p.extend_from_slice(&0i32.to_le_bytes());
        p.extend_from_slice(&0f32.to_le_bytes());
        let Message::Players(players) = message(&p).unwrap() else {
            panic!("not players")
        };
        assert_eq!(players[0].name, "\u{FFFD}(");
    }

    #[test]
    fn parses_a_challenge() {
        let p = [0xFF, 0xFF, 0xFF, 0xFF, 0x41, 0x0A, 0x0B, 0x0C, 0x0D];
        assert_eq!(
            message(&p).unwrap(),
            Message::Challenge([0x0A, 0x0B, 0x0C, 0x0D])
        );
        assert!(matches!(
            message(&p[..7]),
            Err(A2sError::Truncated {
                what: "challenge number"
            })
        ));
    }

    #[test]
    fn truncated_packets_are_errors_at_every_length() {
        let full = players_packet(&["Alice", "Bob"], 2);
        // Cut inside the second entry (the list may only end between entries).
        for cut in 5..full.len() {
            let entry_boundary = cut == 6 + 15 || cut == 5 + 1;
            let result = message(&full[..cut]);
            if cut == 5 {
                assert!(matches!(result, Err(A2sError::Truncated { .. })), "{cut}");
            } else if entry_boundary {
                assert!(result.is_ok(), "cut at {cut} is between entries");
            } else {
                assert!(
                    matches!(result, Err(A2sError::Truncated { .. })),
                    "cut at {cut}: {result:?}"
                );
            }
        }
        let info = source_info_packet();
        for cut in 0..info.len() - 12 {
            assert!(message(&info[..cut]).is_err(), "info cut at {cut}");
        }
    }

    #[test]
    fn wrong_headers_and_types_are_errors() {
        assert!(matches!(
            message(&[0x00, 0xFF, 0xFF, 0xFF, 0x44, 0]),
            Err(A2sError::BadHeader(0xFFFF_FF00))
        ));
        assert!(matches!(
            message(&[0xFF, 0xFF]),
            Err(A2sError::Truncated { .. })
        ));
        assert!(matches!(
            message(&[0xFF, 0xFF, 0xFF, 0xFF, 0x99]),
            Err(A2sError::UnknownType(0x99))
        ));
        assert!(matches!(
            message(&[0xFF, 0xFF, 0xFF, 0xFF]),
            Err(A2sError::Truncated { .. })
        ));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz: every prefix and many byte flips of real packets.
        let mut seeds = vec![source_info_packet(), players_packet(&["A", "B", "C"], 3)];
        seeds.push(vec![
            0xFE, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0, 2, 0, 0xE0, 0x04, 0xFF,
        ]);
        for seed in seeds {
            for i in 0..seed.len() {
                for flip in [0x00u8, 0x01, 0x80, 0xFF] {
                    let mut p = seed.clone();
                    p[i] ^= flip;
                    if let Ok(Datagram::Single(m)) = parse_datagram(&p) {
                        let _ = parse_message(m);
                    }
                    let _ = parse_datagram(&p[..i]);
                }
            }
        }
    }
}
