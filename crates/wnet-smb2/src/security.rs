//! Adapters from the session's keys to the connection's [`Signer`]/[`Cipher`] hooks.

use crate::conn::{Cipher, Signer};
use crate::crypto::Secret;
use crate::crypto::encryption::{self, CipherId};
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

/// Encrypts with a session's cipher keys.
pub struct KeyCipher {
    id: CipherId,
    encryption: Secret<Vec<u8>>,
    decryption: Secret<Vec<u8>>,
}

impl KeyCipher {
    /// A cipher with the client-to-server and server-to-client keys.
    pub fn new(id: CipherId, encryption: Secret<Vec<u8>>, decryption: Secret<Vec<u8>>) -> Self {
        KeyCipher {
            id,
            encryption,
            decryption,
        }
    }
}

impl Cipher for KeyCipher {
    fn encrypt(&self, session_id: u64, plain: &[u8]) -> Result<Vec<u8>> {
        encryption::encrypt(self.id, self.encryption.expose(), session_id, plain)
            .map_err(|e| Error::Auth(format!("encrypt: {e}")))
    }

    fn decrypt(&self, frame: &[u8]) -> Result<Vec<u8>> {
        encryption::decrypt(self.id, self.decryption.expose(), frame)
            .map_err(|_| Error::BadSignature)
    }
}
