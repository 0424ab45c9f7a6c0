//! [`NodeClient`]'s energy calls (`/v1/energy…`), typed.

use super::{with_query, NodeClient, Result};
use crate::compute::MAX_COMPUTE_PAGE;
use crate::energy::*;
use plinth_core::DeviceId;
use plinth_ledger::energy::{Certificate, Order, TradeRecord};

impl NodeClient {
    /// `GET /v1/energy/{network}/market`.
    pub fn energy_market(&self, network: &str) -> Result<MarketView> {
        self.get(&format!("/v1/energy/{network}/market"))
    }

    /// `GET /v1/energy/{network}/clearings`: one page.
    pub fn energy_clearings(&self, network: &str, q: &ClearingsQuery) -> Result<Vec<ZoneView>> {
        self.get(&with_query(&format!("/v1/energy/{network}/clearings"), q))
    }

    /// The verified generation of `network`'s epoch `epoch`, every meter (paged
    /// through `GET /v1/energy/{network}/generation/{epoch}`).
    pub fn energy_all_generation(&self, network: &str, epoch: u64) -> Result<Vec<GenerationView>> {
        let mut out: Vec<GenerationView> = Vec::new();
        loop {
            let q = PageQuery {
                after: out.last().map(|g| g.device.to_string()),
                limit: Some(MAX_COMPUTE_PAGE as u64),
            };
            let page: Vec<GenerationView> = self.get(&with_query(
                &format!("/v1/energy/{network}/generation/{epoch}"),
                &q,
            ))?;
            let n = page.len();
            out.extend(page);
            if n < MAX_COMPUTE_PAGE {
                return Ok(out);
            }
        }
    }

    /// `GET /v1/energy/orders`: one page.
    pub fn energy_orders(&self, q: &EnergyOrdersQuery) -> Result<Vec<Order>> {
        self.get(&with_query("/v1/energy/orders", q))
    }

    /// `GET /v1/energy/orders/{seq}` (`None`: no such order).
    pub fn energy_order(&self, seq: u64) -> Result<Option<Order>> {
        self.opt_coded(&format!("/v1/energy/orders/{seq}"), "unknown_order")
    }

    /// `GET /v1/energy/meters/{device}` (`None`: not a meter).
    pub fn energy_meter(&self, device: &DeviceId) -> Result<Option<MeterView>> {
        self.opt_coded(&format!("/v1/energy/meters/{device}"), "unknown_meter")
    }

    /// `GET /v1/energy/meters/{device}/trades`: one page of settled trades.
    pub fn energy_trades(&self, device: &DeviceId, q: &PageQuery) -> Result<Vec<TradeRecord>> {
        self.get(&with_query(
            &format!("/v1/energy/meters/{device}/trades"),
            q,
        ))
    }

    /// `GET /v1/energy/certificates`: one page.
    pub fn energy_certificates(&self, q: &CertificatesQuery) -> Result<Vec<Certificate>> {
        self.get(&with_query("/v1/energy/certificates", q))
    }

    /// `GET /v1/energy/certificates/{id}` (`None`: no such certificate).
    pub fn energy_certificate(&self, id: u64) -> Result<Option<Certificate>> {
        self.opt_coded(
            &format!("/v1/energy/certificates/{id}"),
            "unknown_certificate",
        )
    }

    /// `GET path`, with the 404 whose code is `missing` as `None`.
    fn opt_coded<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        missing: &str,
    ) -> Result<Option<T>> {
        match self.get(path) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_not_found() && e.code() == Some(missing) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
