//! Split (multi-packet) responses in the Source layout: after the `FF FF FF FE` header come
//! the answer's id, the number of parts, this part's number and the server's packet size.
//! Compressed answers (id with its top bit set, a 2006-era engine feature) are refused.

use super::reader::Reader;
use super::A2sError;

/// More parts than any player list needs (255 players fit in about 10); bounds memory.
pub const MAX_PARTS: u8 = 32;

const COMPRESSED: u32 = 0x8000_0000;

#[derive(Debug, Clone, PartialEq)]
pub struct SplitPart {
    pub id: u32,
    pub total: u8,
    pub number: u8,
    pub payload: Vec<u8>,
}

/// One part, after its `FF FF FF FE` header.
pub fn parse_split(bytes: &[u8]) -> Result<SplitPart, A2sError> {
    let mut r = Reader::new(bytes);
    let id = r.u32("split answer id")?;
    if id & COMPRESSED != 0 {
        return Err(A2sError::Compressed);
    }
    let total = r.u8("split part count")?;
    let number = r.u8("split part number")?;
    let _size = r.u16("split packet size")?;
    if total == 0 {
        return Err(A2sError::BadSplit("the part count is zero"));
    }
    if total > MAX_PARTS {
        return Err(A2sError::BadSplit("more parts than an answer can have"));
    }
    if number >= total {
        return Err(A2sError::BadSplit("a part number beyond the part count"));
    }
    Ok(SplitPart {
        id,
        total,
        number,
        payload: r.rest().to_vec(),
    })
}

/// The parts of one split answer as they arrive, in any order.
#[derive(Debug)]
pub struct Reassembly {
    id: u32,
    parts: Vec<Option<Vec<u8>>>,
}

impl Reassembly {
    pub fn new(id: u32, total: u8) -> Self {
        Reassembly {
            id,
            parts: vec![None; total as usize],
        }
    }

    /// Adds a part; the whole message (its `FF FF FF FF` header removed) once every part is
    /// in. Parts of another answer (a late reply to an earlier request) are ignored.
    pub fn add(&mut self, part: SplitPart) -> Result<Option<Vec<u8>>, A2sError> {
        if part.id != self.id {
            return Ok(None);
        }
        if part.total as usize != self.parts.len() {
            return Err(A2sError::BadSplit("parts disagree on the part count"));
        }
        let slot = &mut self.parts[part.number as usize];
        if slot.is_none() {
            *slot = Some(part.payload);
        }
        if self.parts.iter().any(Option::is_none) {
            return Ok(None);
        }
        let mut whole: Vec<u8> = self.parts.iter().flatten().flatten().copied().collect();
        if whole.starts_with(&[0xFF; 4]) {
            whole.drain(..4);
        }
        Ok(Some(whole))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::a2s::message::{parse_datagram, parse_message, Datagram, Message};

    /// Cuts `message` (with its `FF FF FF FF` header) into Source split packets.
    fn split(message: &[u8], id: u32, chunk: usize) -> Vec<Vec<u8>> {
        let chunks: Vec<&[u8]> = message.chunks(chunk).collect();
        chunks
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut p = vec![0xFE, 0xFF, 0xFF, 0xFF];
                p.extend_from_slice(&id.to_le_bytes());
                p.push(chunks.len() as u8);
                p.push(i as u8);
                p.extend_from_slice(&1248u16.to_le_bytes());
                p.extend_from_slice(c);
                p
            })
            .collect()
    }

    fn players_message(n: usize) -> Vec<u8> {
        let mut p = vec![0xFF, 0xFF, 0xFF, 0xFF, 0x44, n as u8];
        for i in 0..n {
            p.push(0);
            p.extend_from_slice(format!("Player number {i}").as_bytes());
            p.push(0);
            p.extend_from_slice(&(i as i32).to_le_bytes());
            p.extend_from_slice(&1.0f32.to_le_bytes());
        }
        p
    }

    fn part(bytes: &[u8]) -> SplitPart {
        match parse_datagram(bytes).unwrap() {
            Datagram::Part(p) => p,
            Datagram::Single(_) => panic!("expected a split part"),
        }
    }

    #[test]
    fn reassembles_parts_in_any_order_ignoring_duplicates_and_strangers() {
        let message = players_message(40);
        let packets = split(&message, 7, 300);
        assert!(packets.len() >= 3);
        let first = part(&packets[2]);
        let mut r = Reassembly::new(first.id, first.total);
        assert_eq!(r.add(first.clone()).unwrap(), None);
        assert_eq!(r.add(first).unwrap(), None, "a duplicate changes nothing");
        let stranger = part(&split(&message, 8, 300)[0]);
        assert_eq!(r.add(stranger).unwrap(), None, "another answer's part");
        let mut whole = None;
        for p in packets.iter().rev() {
            if let Some(done) = r.add(part(p)).unwrap() {
                whole = Some(done);
            }
        }
        let whole = whole.expect("complete");
        let Message::Players(players) = parse_message(&whole).unwrap() else {
            panic!("players")
        };
        assert_eq!(players.len(), 40);
        assert_eq!(players[39].name, "Player number 39");
    }

    #[test]
    fn bad_split_headers_are_errors() {
        let good = split(&players_message(3), 1, 20);
        // Part count zero.
        let mut p = good[0].clone();
        p[8] = 0;
        assert!(matches!(parse_datagram(&p), Err(A2sError::BadSplit(_))));
        // Part number beyond the count.
        let mut p = good[0].clone();
        p[9] = p[8];
        assert!(matches!(parse_datagram(&p), Err(A2sError::BadSplit(_))));
        // Absurd count.
        let mut p = good[0].clone();
        p[8] = 200;
        assert!(matches!(parse_datagram(&p), Err(A2sError::BadSplit(_))));
        // Compressed.
        let mut p = good[0].clone();
        p[7] |= 0x80;
        assert!(matches!(parse_datagram(&p), Err(A2sError::Compressed)));
        // Cut inside the split header.
        assert!(matches!(
            parse_datagram(&good[0][..10]),
            Err(A2sError::Truncated { .. })
        ));
        // Parts that disagree on the count.
        let first = part(&good[0]);
        let mut r = Reassembly::new(first.id, first.total);
        let mut other = part(&good[1]);
        other.total += 1;
        assert!(matches!(r.add(other), Err(A2sError::BadSplit(_))));
    }

    #[test]
    fn a_reassembled_message_that_is_cut_short_is_an_error() {
        let mut message = players_message(5);
        message.truncate(message.len() - 3);
        let packets = split(&message, 3, 40);
        let first = part(&packets[0]);
        let mut r = Reassembly::new(first.id, first.total);
        let mut whole = None;
        for p in &packets {
            whole = r.add(part(p)).unwrap().or(whole);
        }
        assert!(matches!(
            parse_message(&whole.unwrap()),
            Err(A2sError::Truncated { .. })
        ));
    }
}
