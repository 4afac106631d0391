//! A cursor over a packet: little-endian integers and NUL-terminated strings. Each read names
//! what it wanted, so a short packet reports which field is missing.

use super::A2sError;

pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }

    fn take<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], A2sError> {
        let end = self.pos.checked_add(N).filter(|e| *e <= self.bytes.len());
        let Some(end) = end else {
            return Err(A2sError::Truncated { what });
        };
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[self.pos..end]);
        self.pos = end;
        Ok(out)
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, A2sError> {
        Ok(self.take::<1>(what)?[0])
    }

    pub fn u16(&mut self, what: &'static str) -> Result<u16, A2sError> {
        Ok(u16::from_le_bytes(self.take(what)?))
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32, A2sError> {
        Ok(u32::from_le_bytes(self.take(what)?))
    }

    pub fn i32(&mut self, what: &'static str) -> Result<i32, A2sError> {
        Ok(i32::from_le_bytes(self.take(what)?))
    }

    pub fn f32(&mut self, what: &'static str) -> Result<f32, A2sError> {
        Ok(f32::from_le_bytes(self.take(what)?))
    }

    pub fn bytes4(&mut self, what: &'static str) -> Result<[u8; 4], A2sError> {
        self.take(what)
    }

    /// A NUL-terminated string; invalid UTF-8 is replaced (names come in any encoding).
    pub fn cstring(&mut self, what: &'static str) -> Result<String, A2sError> {
        let rest = self.rest();
        let Some(len) = rest.iter().position(|b| *b == 0) else {
            return Err(A2sError::Truncated { what });
        };
        let text = String::from_utf8_lossy(&rest[..len]).into_owned();
        self.pos += len + 1;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_and_strings() {
        let mut r = Reader::new(&[0x34, 0x12, b'h', b'i', 0, 0xff]);
        assert_eq!(r.u16("n").unwrap(), 0x1234);
        assert_eq!(r.cstring("s").unwrap(), "hi");
        assert_eq!(r.remaining(), 1);
        assert!(matches!(
            r.u32("big"),
            Err(A2sError::Truncated { what: "big" })
        ));
        assert!(matches!(
            r.cstring("unterminated"),
            Err(A2sError::Truncated { .. })
        ));
    }
}
