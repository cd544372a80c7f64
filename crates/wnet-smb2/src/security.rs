//! Adapters from the session's keys to the connection's [`Signer`]/[`Cipher`] hooks.

use crate::conn::{Cipher, Signer};
use crate::crypto::Secret;
use crate::crypto::encryption::{CipherId, CipherKey, TRANSFORM_HEADER_LEN};
use crate::crypto::signing::{self, SigningAlgo};
use crate::error::{Error, Result};

/// Signs with a session's signing key.
pub struct KeySigner {
    key: Secret<[u8; 16]>,
    algo: SigningAlgo,
}

impl KeySigner {
    /// A signer for `key` with `algo`.
    pub fn new(key: Secret<[u8; 16]>, algo: SigningAlgo) -> Self {
        KeySigner { key, algo }
    }
}

impl Signer for KeySigner {
    fn sign(&self, msg: &mut [u8]) {
        // Fails only on a short message or bad key length, both excluded by construction.
        if let Err(e) = signing::sign(self.key.expose(), self.algo, msg) {
            tracing::error!("signing failed: {e}");
        }
    }

    fn verify(&self, msg: &mut [u8]) -> bool {
        signing::verify(self.key.expose(), self.algo, msg)
    }
}

/// Encrypts with a session's cipher keys, expanded once when the session is set up.
pub struct KeyCipher {
    encryption: CipherKey,
    decryption: CipherKey,
}

impl KeyCipher {
    /// A cipher with the client-to-server and server-to-client keys.
    ///
    /// # Errors
    /// [`Error::Auth`] if a key does not have the cipher's length (a key derivation bug).
    pub fn new(
        id: CipherId,
        encryption: &Secret<Vec<u8>>,
        decryption: &Secret<Vec<u8>>,
    ) -> Result<Self> {
        let key = |k: &Secret<Vec<u8>>| {
            CipherKey::new(id, k.expose()).map_err(|e| Error::Auth(format!("encryption key: {e}")))
        };
        Ok(KeyCipher {
            encryption: key(encryption)?,
            decryption: key(decryption)?,
        })
    }
}

impl Cipher for KeyCipher {
    fn encrypt_in_place(
        &self,
        session_id: u64,
        body: &mut [u8],
    ) -> Result<[u8; TRANSFORM_HEADER_LEN]> {
        self.encryption
            .seal(session_id, body)
            .map_err(|e| Error::Auth(format!("encrypt: {e}")))
    }

    fn decrypt_in_place(&self, frame: &mut Vec<u8>) -> Result<()> {
        self.decryption.open(frame).map_err(|_| Error::BadSignature)
    }
}
