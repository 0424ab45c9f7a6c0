//! A certificate authority for a testnet, and the server certificates it signs
//! (feature `certs`; `plinth testnet init --tls`).
//!
//! Keys are ECDSA P-256. The CA may sign only end-entity certificates (path
//! length 0); a server certificate names its hosts (DNS names or IP addresses)
//! and is valid for `days` from now.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use std::time::Duration;

/// A CA: its certificate and its key.
pub struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

/// A certificate and its private key, as PEM.
pub struct Issued {
    /// The certificate (PEM).
    pub cert_pem: String,
    /// Its private key (PKCS#8 PEM): keep it private.
    pub key_pem: String,
}

fn name(common: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Plinth testnet");
    dn.push(DnType::CommonName, common);
    dn
}

fn validity(params: &mut CertificateParams, days: u64) {
    let now = time_now();
    // An hour back, for clocks a little behind.
    params.not_before = now - Duration::from_secs(3600);
    params.not_after = now + Duration::from_secs(days * 24 * 3600);
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

impl Ca {
    /// A new CA named `common_name`, valid for `days`.
    pub fn new(common_name: &str, days: u64) -> Result<Ca, rcgen::Error> {
        let mut params = CertificateParams::default();
        params.distinguished_name = name(common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        validity(&mut params, days);
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        Ok(Ca { cert, key })
    }

    /// The CA certificate (PEM): what clients trust (`--ca`, `PLINTH_CA_FILE`).
    pub fn cert_pem(&self) -> String {
        self.cert.pem()
    }

    /// The CA's private key (PEM): whoever holds it can impersonate any server
    /// of the testnet.
    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }

    /// A server certificate for `hosts` (DNS names or IP addresses; the first is
    /// also its common name), valid for `days`.
    pub fn issue(&self, hosts: &[String], days: u64) -> Result<Issued, rcgen::Error> {
        let first = hosts.first().map(String::as_str).unwrap_or("localhost");
        let mut params = CertificateParams::default();
        params.distinguished_name = name(first);
        params.subject_alt_names = hosts
            .iter()
            .map(|h| match h.parse::<std::net::IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => Ok(SanType::DnsName(h.clone().try_into()?)),
            })
            .collect::<Result<_, rcgen::Error>>()?;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        validity(&mut params, days);
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.cert, &self.key)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}
