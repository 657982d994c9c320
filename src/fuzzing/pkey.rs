//! Private-key operations in the `server_handshake` fuzz target: with
//! [`pkey_on`] every signature goes to a callback that parks the operation,
//! so each full handshake stops in a paused-sign state (TLS 1.3 or 1.2);
//! [`drive`](super::drive) then answers it with what the input decides (a
//! good signature, a failure, garbage, nothing) and goes on, under Strict
//! validation. Nothing new is parsed from the network here: this only keeps
//! the paused states and their resumption inside what the fuzzer explores.

use crate::pkey::{PkeyValidation, PrivateKeyCallback, PrivateKeyOp};
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    /// Operations handed out on this thread and not answered yet: the
    /// callback runs on the thread that drives the handshake, and tests
    /// drive theirs in parallel.
    static PENDING: RefCell<Vec<PrivateKeyOp>> = const { RefCell::new(Vec::new()) };
}

/// Signatures on a config go through the parking callback, checked Strictly.
pub fn pkey_on(b: &mut crate::ConfigBuilder) {
    let park: Arc<PrivateKeyCallback> = Arc::new(|op: PrivateKeyOp| {
        PENDING.with(|p| p.borrow_mut().push(op));
    });
    b.set_private_key_callback(park);
    b.set_private_key_validation(PkeyValidation::Strict);
}

/// Answers every parked operation, each as `choice` (the input's) says;
/// true if there was one.
pub(super) fn answer_pending(choice: u8) -> bool {
    let ops = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    let any = !ops.is_empty();
    for op in ops {
        match choice % 4 {
            0 | 1 => op.sign(),
            2 => {
                let garbage = op_garbage(&op);
                op.complete(garbage)
            }
            _ => op.fail(),
        }
    }
    any
}

/// A wrong signature of the right length.
fn op_garbage(op: &PrivateKeyOp) -> Vec<u8> {
    op.input().iter().rev().take(64).copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CertChainAndKey, Config, Connection, Session};

    fn server(chain: &[u8], key: &[u8]) -> Config {
        let mut b = Config::builder_minimal();
        b.add_cert_chain_and_key(CertChainAndKey::from_pem(chain, key).unwrap());
        crate::fuzzing::pin_post_quantum_policy(&mut b);
        pkey_on(&mut b);
        crate::fuzzing::client_auth_on(&mut b);
        b.build().unwrap()
    }

    /// A client's first flight, TLS 1.3 or 1.2 only.
    fn hello(tls12: bool) -> Vec<u8> {
        let mut b = Config::builder_minimal();
        if tls12 {
            b.custom_security_policy(&crate::pkey::tests::TLS12)
                .unwrap();
        }
        let mut c = Session::new_client(&b.build().unwrap());
        c.poll_handshake().unwrap();
        c.pending_tls().to_vec()
    }

    #[test]
    fn every_answer_to_a_paused_signature_ends_without_a_panic() {
        let certs: [(&[u8], &[u8]); 2] = [
            (
                include_bytes!("../../tests/data/server-p256-chain.pem"),
                include_bytes!("../../tests/data/server-p256.key"),
            ),
            (
                include_bytes!("../../tests/data/server-rsa.pem"),
                include_bytes!("../../tests/data/server-rsa.key"),
            ),
        ];
        for (chain, key) in certs {
            let cfg = server(chain, key);
            for tls12 in [false, true] {
                for choice in 0..4u8 {
                    // The first byte is the read size: the whole hello at once.
                    let input = [&[255u8][..], &hello(tls12)].concat();
                    let mut conn = Connection::new_server(&cfg);
                    let r = crate::fuzzing::drive_answering(&mut conn, &input, choice)
                        .expect("the handshake reached its signature");
                    // A good signature leaves the handshake waiting for the
                    // client (whose bytes ran out); the others fail it.
                    let kind = r.unwrap_err().kind();
                    let want = if choice < 2 {
                        crate::ErrorKind::Closed
                    } else {
                        crate::ErrorKind::PrivateKey
                    };
                    assert_eq!(kind, want, "choice {choice}");
                }
            }
        }
    }
}
