//! Certificate status options shared by the commands: `--ocsp FILE` on the
//! servers (a DER OCSP response to staple), `--ocsp` and `--crl FILE` on the
//! client.

use crate::Failure;
use baton::{CertChainAndKey, ConfigBuilder, OcspValidation, Session};

/// Staples the response `--ocsp` names, if any, to `chain`.
pub fn apply_server(chain: &CertChainAndKey, ocsp: Option<&str>) -> Result<(), Failure> {
    if let Some(file) = ocsp {
        let der = std::fs::read(file).map_err(|e| format!("reading --ocsp {file}: {e}"))?;
        chain
            .set_ocsp_response(&der)
            .map_err(|e| Failure::Usage(format!("--ocsp {file}: {}", e.message())))?;
    }
    Ok(())
}

/// The client options.
#[derive(clap::Args, Debug, Default)]
pub struct ClientArgs {
    /// ask for the server's stapled OCSP response, check it when the
    /// certificate is verified (revoked fails the handshake) and print an
    /// `ocsp:` line
    #[arg(long)]
    pub ocsp: bool,
    /// check the server's chain against the CRLs in FILE (PEM)
    #[arg(long, value_name = "FILE")]
    pub crl: Option<String>,
}

/// Applies `--ocsp` and `--crl` to a client config.
pub fn apply_client(b: &mut ConfigBuilder, p: &ClientArgs) -> Result<(), Failure> {
    if p.ocsp {
        b.set_ocsp_validation(OcspValidation::IfStapled);
    }
    if let Some(file) = &p.crl {
        let pem = std::fs::read(file).map_err(|e| format!("reading --crl {file}: {e}"))?;
        b.add_crl_pem(&pem)
            .map_err(|e| Failure::Usage(format!("--crl {file}: {}", e.message())))?;
    }
    Ok(())
}

/// `ocsp: stapled=yes bytes=N verified=yes|no` or `ocsp: stapled=no` (stable: tests parse it).
pub fn client_line(conn: &Session, verified: bool) -> String {
    match conn.ocsp_response() {
        Some(r) => format!(
            "ocsp: stapled=yes bytes={} verified={}",
            r.len(),
            if verified { "yes" } else { "no" }
        ),
        None => "ocsp: stapled=no".to_string(),
    }
}
