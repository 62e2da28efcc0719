//! Double SHA-256 of short inputs (FIPS 180-4), for the Base58Check checksum on the hot
//! path of address validation: an address payload (21 bytes) and the first digest each
//! fill one block, so the padding is written once and no hashing engine buffers bytes.
//! Longer inputs (extended keys) go to `bitcoin_hashes`, which a test compares this with.

use bitcoin_hashes::{sha256d, Hash};

/// The longest input that fits one block with its padding.
const ONE_BLOCK_MAX: usize = 55;

const INITIAL: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

const K: [u32; 64] = [
    0x428a_2f98,
    0x7137_4491,
    0xb5c0_fbcf,
    0xe9b5_dba5,
    0x3956_c25b,
    0x59f1_11f1,
    0x923f_82a4,
    0xab1c_5ed5,
    0xd807_aa98,
    0x1283_5b01,
    0x2431_85be,
    0x550c_7dc3,
    0x72be_5d74,
    0x80de_b1fe,
    0x9bdc_06a7,
    0xc19b_f174,
    0xe49b_69c1,
    0xefbe_4786,
    0x0fc1_9dc6,
    0x240c_a1cc,
    0x2de9_2c6f,
    0x4a74_84aa,
    0x5cb0_a9dc,
    0x76f9_88da,
    0x983e_5152,
    0xa831_c66d,
    0xb003_27c8,
    0xbf59_7fc7,
    0xc6e0_0bf3,
    0xd5a7_9147,
    0x06ca_6351,
    0x1429_2967,
    0x27b7_0a85,
    0x2e1b_2138,
    0x4d2c_6dfc,
    0x5338_0d13,
    0x650a_7354,
    0x766a_0abb,
    0x81c2_c92e,
    0x9272_2c85,
    0xa2bf_e8a1,
    0xa81a_664b,
    0xc24b_8b70,
    0xc76c_51a3,
    0xd192_e819,
    0xd699_0624,
    0xf40e_3585,
    0x106a_a070,
    0x19a4_c116,
    0x1e37_6c08,
    0x2748_774c,
    0x34b0_bcb5,
    0x391c_0cb3,
    0x4ed8_aa4a,
    0x5b9c_ca4f,
    0x682e_6ff3,
    0x748f_82ee,
    0x78a5_636f,
    0x84c8_7814,
    0x8cc7_0208,
    0x90be_fffa,
    0xa450_6ceb,
    0xbef9_a3f7,
    0xc671_78f2,
];

/// SHA-256 of SHA-256 of `data`.
pub(crate) fn double_sha256(data: &[u8]) -> [u8; 32] {
    if data.len() > ONE_BLOCK_MAX {
        return sha256d::Hash::hash(data).to_byte_array();
    }
    let mut block = [0u8; 64];
    block[..data.len()].copy_from_slice(data);
    block[data.len()] = 0x80;
    block[56..].copy_from_slice(&(8 * data.len() as u64).to_be_bytes());
    let mut words = [0u32; 16];
    for (word, bytes) in words.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    let mut first = INITIAL;
    compress(&mut first, &words);

    // The first digest as words is already the second block's start: 32 bytes, the
    // 0x80 marker, zeros, and the length (256 bits).
    let mut words = [0u32; 16];
    words[..8].copy_from_slice(&first);
    words[8] = 0x8000_0000;
    words[15] = 256;
    let mut second = INITIAL;
    compress(&mut second, &words);

    let mut out = [0u8; 32];
    for (bytes, word) in out.chunks_exact_mut(4).zip(second) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// One block of the compression function. Written out round by round so that every
/// index is a constant: the schedule and the state stay in wasm locals, not in memory.
/// Not inlined: one copy of the 64 rounds in the package, not one per call site.
#[inline(never)]
fn compress(state: &mut [u32; 8], block: &[u32; 16]) {
    let mut w = *block;
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
    macro_rules! round {
        ($i:expr) => {{
            let i: usize = $i;
            if i >= 16 {
                let w15 = w[(i + 1) & 15];
                let w2 = w[(i + 14) & 15];
                let s0 = w15.rotate_right(7) ^ w15.rotate_right(18) ^ (w15 >> 3);
                let s1 = w2.rotate_right(17) ^ w2.rotate_right(19) ^ (w2 >> 10);
                w[i & 15] = w[i & 15]
                    .wrapping_add(s0)
                    .wrapping_add(w[(i + 9) & 15])
                    .wrapping_add(s1);
            }
            let big_s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let choice = (e & f) ^ (!e & g);
            let t1 = h
                .wrapping_add(big_s1)
                .wrapping_add(choice)
                .wrapping_add(K[i])
                .wrapping_add(w[i & 15]);
            let big_s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let majority = (a & b) ^ (a & c) ^ (b & c);
            let t2 = big_s0.wrapping_add(majority);
            h = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }};
    }
    macro_rules! eight_rounds {
        ($base:expr) => {
            round!($base);
            round!($base + 1);
            round!($base + 2);
            round!($base + 3);
            round!($base + 4);
            round!($base + 5);
            round!($base + 6);
            round!($base + 7);
        };
    }
    eight_rounds!(0);
    eight_rounds!(8);
    eight_rounds!(16);
    eight_rounds!(24);
    eight_rounds!(32);
    eight_rounds!(40);
    eight_rounds!(48);
    eight_rounds!(56);
    for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *s = s.wrapping_add(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length around the one-block limit, against `bitcoin_hashes`.
    #[test]
    fn agrees_with_bitcoin_hashes_for_every_short_length() {
        for len in 0..=130usize {
            let data: Vec<u8> = (0..len).map(|i| (i * 131 + len * 7) as u8).collect();
            assert_eq!(
                double_sha256(&data),
                sha256d::Hash::hash(&data).to_byte_array(),
                "length {len}"
            );
        }
    }

    /// FIPS 180-4 example "abc", hashed twice (the published single hash, then again).
    #[test]
    fn double_hash_of_abc() {
        let once = bitcoin_hashes::sha256::Hash::hash(b"abc").to_byte_array();
        assert_eq!(
            hex::encode(once),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let twice = bitcoin_hashes::sha256::Hash::hash(&once).to_byte_array();
        assert_eq!(double_sha256(b"abc"), twice);
    }
}
