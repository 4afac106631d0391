//! Reads back the frames the hub wrote (RFC 6455 §5.2, server side: never masked).

/// One frame the hub sent.
#[derive(Debug)]
pub struct ServerFrame {
    pub fin: bool,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

/// Splits `bytes` into frames; panics on anything a strict client would refuse (a mask, a
/// reserved bit or opcode, a control frame over 125 bytes or fragmented, a cut-off frame).
pub fn parse_server_frames(mut bytes: &[u8]) -> Vec<ServerFrame> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        assert!(bytes.len() >= 2, "a cut-off frame header");
        let (b0, b1) = (bytes[0], bytes[1]);
        assert_eq!(b0 & 0x70, 0, "reserved bits in a server frame");
        assert_eq!(b1 & 0x80, 0, "a masked server frame");
        let opcode = b0 & 0x0f;
        assert!(
            matches!(opcode, 0x0 | 0x1 | 0x2 | 0x8 | 0x9 | 0xA),
            "reserved opcode {opcode}"
        );
        let (len, header) = match b1 & 0x7f {
            126 => {
                assert!(bytes.len() >= 4, "a cut-off length");
                (usize::from(u16::from_be_bytes([bytes[2], bytes[3]])), 4)
            }
            127 => {
                assert!(bytes.len() >= 10, "a cut-off length");
                let mut n = [0u8; 8];
                n.copy_from_slice(&bytes[2..10]);
                (
                    usize::try_from(u64::from_be_bytes(n)).expect("a length"),
                    10,
                )
            }
            n => (usize::from(n), 2),
        };
        assert!(bytes.len() >= header + len, "a cut-off payload");
        let fin = b0 & 0x80 != 0;
        if opcode >= 0x8 {
            assert!(fin, "a fragmented control frame");
            assert!(len <= 125, "a control frame over 125 bytes");
        }
        frames.push(ServerFrame {
            fin,
            opcode,
            payload: bytes[header..header + len].to_vec(),
        });
        bytes = &bytes[header + len..];
    }
    frames
}
