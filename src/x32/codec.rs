//! OSC packets as the X32 speaks them, on top of `rosc`, with its quirks handled here
//! (`x32-osc.md` §1.1, §1.5, §1.8):
//!
//! - the `/node` reply comes back with the address `node`, without the slash, which rosc
//!   refuses; the first eight bytes `node\0\0\0\0` are patched to `/node\0\0\0` (same length);
//! - a message without a type-tag string (`/info\0\0\0`) is a valid no-argument request;
//! - meter blobs hold a little-endian float count and little-endian float32 values inside an
//!   ordinary (big-endian length) OSC blob.

use rosc::{OscMessage, OscPacket, OscType};
use thiserror::Error;

/// A packet that is not OSC the X32 way.
#[derive(Debug, Error)]
pub enum CodecError {
    /// rosc could not decode it.
    #[error("not an OSC packet: {0}")]
    Osc(String),
    /// The meter blob is too short for the count it announces.
    #[error("meter blob of {len} bytes cannot hold {count} floats")]
    ShortMeterBlob {
        /// Blob length in bytes.
        len: usize,
        /// The count in its header.
        count: i64,
    },
}

/// Encode one message.
pub fn encode(msg: &OscMessage) -> Result<Vec<u8>, CodecError> {
    rosc::encoder::encode(&OscPacket::Message(msg.clone()))
        .map_err(|e| CodecError::Osc(format!("{e:?}")))
}

/// Decode one datagram into its messages (bundles flattened).
pub fn decode(bytes: &[u8]) -> Result<Vec<OscMessage>, CodecError> {
    let patched;
    let bytes = if bytes.starts_with(b"node\0\0\0\0") {
        let mut v = bytes.to_vec();
        v[..8].copy_from_slice(b"/node\0\0\0");
        patched = v;
        &patched[..]
    } else {
        bytes
    };
    match rosc::decoder::decode_udp(bytes) {
        Ok((_, packet)) => {
            let mut out = Vec::new();
            flatten(packet, &mut out);
            Ok(out)
        }
        Err(e) => match address_only(bytes) {
            Some(addr) => Ok(vec![OscMessage { addr, args: vec![] }]),
            None => Err(CodecError::Osc(format!("{e:?}"))),
        },
    }
}

/// `/info\0\0\0`: an address padded to four bytes and nothing else.
fn address_only(bytes: &[u8]) -> Option<String> {
    if bytes.first() != Some(&b'/') || !bytes.len().is_multiple_of(4) {
        return None;
    }
    let end = bytes.iter().position(|&b| b == 0)?;
    if bytes[end..].iter().any(|&b| b != 0) || (end + 1).div_ceil(4) * 4 != bytes.len() {
        return None;
    }
    std::str::from_utf8(&bytes[..end]).ok().map(str::to_owned)
}

fn flatten(packet: OscPacket, out: &mut Vec<OscMessage>) {
    match packet {
        OscPacket::Message(m) => out.push(m),
        OscPacket::Bundle(b) => {
            for p in b.content {
                flatten(p, out);
            }
        }
    }
}

/// The floats in a meter blob (its bytes after the OSC blob length).
pub fn decode_meter_blob(blob: &[u8]) -> Result<Vec<f32>, CodecError> {
    let count_bytes: [u8; 4] =
        blob.get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or(CodecError::ShortMeterBlob {
                len: blob.len(),
                count: 0,
            })?;
    let count = i32::from_le_bytes(count_bytes);
    let body = &blob[4..];
    let n = usize::try_from(count)
        .ok()
        .filter(|&n| n <= body.len() / 4)
        .ok_or(CodecError::ShortMeterBlob {
            len: blob.len(),
            count: i64::from(count),
        })?;
    Ok(body[..n * 4]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Build a meter blob (for the fake X32 and tests).
pub fn encode_meter_blob(values: &[f32]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(4 + values.len() * 4);
    blob.extend_from_slice(&(values.len() as i32).to_le_bytes());
    for v in values {
        blob.extend_from_slice(&v.to_le_bytes());
    }
    blob
}

/// A message with no arguments: a get, or `/xremote`, `/xinfo`.
pub fn request(addr: &str) -> OscMessage {
    OscMessage {
        addr: addr.to_owned(),
        args: vec![],
    }
}

/// A message with arguments.
pub fn message(addr: &str, args: Vec<OscType>) -> OscMessage {
    OscMessage {
        addr: addr.to_owned(),
        args,
    }
}

/// `/meters ,s[i…] /meters/N args… time_factor`: the string starts with a slash (the emulator
/// ignores `meters/2`), and the time factor is last.
pub fn meters_request(bank: u8, args: &[i32], time_factor: i32) -> OscMessage {
    let mut v = vec![OscType::String(format!("/meters/{bank}"))];
    v.extend(args.iter().map(|&a| OscType::Int(a)));
    v.push(OscType::Int(time_factor));
    message("/meters", v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn node_reply_without_slash_decodes() {
        // `node~~~~,s~~/ch/01/mix OFF +0.0 OFF -100 OFF -oo\n`, as the emulator sent it.
        let mut bytes = b"node\0\0\0\0,s\0\0".to_vec();
        let line = b"/ch/01/mix OFF +0.0 OFF -100 OFF -oo\n";
        bytes.extend_from_slice(line);
        bytes.resize(bytes.len() + (4 - line.len() % 4), 0);
        let msgs = decode(&bytes).unwrap();
        assert_eq!(msgs[0].addr, "/node");
        assert_eq!(
            msgs[0].args,
            vec![OscType::String(
                "/ch/01/mix OFF +0.0 OFF -100 OFF -oo\n".into()
            )]
        );
    }

    #[test]
    fn missing_type_tag_is_a_request() {
        assert_eq!(decode(b"/info\0\0\0").unwrap()[0].addr, "/info");
        assert_eq!(decode(b"/info\0\0\0,\0\0\0").unwrap()[0].addr, "/info");
        assert!(decode(b"/inf").is_err());
        assert!(decode(b"/info\0\0\0junk").is_err());
    }

    #[test]
    fn meters_2_reply_from_the_reference() {
        // 220 B: address, ",b", BE blob length 200, LE count 49, 49 LE floats.
        let mut floats = vec![0.0f32; 49];
        floats[0] = 1.0;
        let msg = message("/meters/2", vec![OscType::Blob(encode_meter_blob(&floats))]);
        let bytes = encode(&msg).unwrap();
        assert_eq!(bytes.len(), 220);
        assert_eq!(&bytes[16..20], &[0, 0, 0, 0xc8]);
        assert_eq!(&bytes[20..24], &[0x31, 0, 0, 0]);
        let back = decode(&bytes).unwrap();
        let OscType::Blob(blob) = &back[0].args[0] else {
            panic!("no blob")
        };
        assert_eq!(decode_meter_blob(blob).unwrap(), floats);
    }

    #[test]
    fn garbage_meter_blobs_are_errors() {
        assert!(decode_meter_blob(&[1, 2]).is_err());
        assert!(decode_meter_blob(&[100, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(decode_meter_blob(&(-1i32).to_le_bytes()).is_err());
    }

    #[test]
    fn meters_request_bytes() {
        let bytes = encode(&meters_request(2, &[], 1)).unwrap();
        assert_eq!(&bytes[..8], b"/meters\0");
        assert_eq!(&bytes[8..12], b",si\0");
        assert_eq!(&bytes[12..24], b"/meters/2\0\0\0");
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode(&bytes);
        }

        #[test]
        fn decode_never_panics_on_node_prefixed(tail in proptest::collection::vec(any::<u8>(), 0..100)) {
            let mut bytes = b"node\0\0\0\0".to_vec();
            bytes.extend(tail);
            let _ = decode(&bytes);
        }

        #[test]
        fn meter_blob_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = decode_meter_blob(&bytes);
        }

        #[test]
        fn round_trip(addr in "/[a-z]{1,8}(/[0-9]{2}){0,2}", f in any::<f32>(), i in any::<i32>(), s in "[ -~]{0,20}") {
            let msg = message(&addr, vec![OscType::Float(f), OscType::Int(i), OscType::String(s)]);
            let back = decode(&encode(&msg).unwrap()).unwrap();
            prop_assert_eq!(back.len(), 1);
            prop_assert_eq!(&back[0].addr, &msg.addr);
            prop_assert_eq!(back[0].args.len(), 3);
        }
    }
}
