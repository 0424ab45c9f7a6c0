//! The HTML report: one self-contained page per sweep point, its charts drawn
//! as inline SVG by `plotters` (no script, no CDN): supply, emission against
//! burn, net inflation, operators, ROI and payback per network, token price,
//! credits burned, each as the median across runs inside its p10–p90 band.

use crate::monte::{quantile, Runs};
use crate::run::{FLOAT_METRICS, INT_METRICS, NETWORK_FLOAT_METRICS, NETWORK_INT_METRICS};
use plotters::prelude::*;

/// Points per line at most (longer horizons are sampled evenly).
const MAX_POINTS: u64 = 600;

/// A chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("report: drawing {chart}: {reason}")]
pub struct ReportError {
    /// The chart.
    pub chart: String,
    /// What failed.
    pub reason: String,
}

/// Which series of a run.
#[derive(Debug, Clone, Copy)]
enum Metric {
    Int(usize),
    Float(usize),
}

/// A line with its band: (epoch, p10, p50, p90).
struct Band {
    name: String,
    points: Vec<(f64, f64, f64, f64)>,
}

fn band(runs: &Runs, name: &str, m: Metric) -> Band {
    let first = &runs.runs[0];
    let step = first.epochs.div_ceil(MAX_POINTS).max(1);
    let mut values: Vec<f64> = Vec::with_capacity(runs.runs.len());
    let points = (0..first.epochs)
        .step_by(step as usize)
        .map(|e| {
            values.clear();
            values.extend(runs.runs.iter().map(|r| match m {
                Metric::Int(i) => r.int(e, i) as f64,
                Metric::Float(i) => r.float(e, i),
            }));
            values.sort_unstable_by(f64::total_cmp);
            (
                e as f64,
                quantile(&values, 0.1),
                quantile(&values, 0.5),
                quantile(&values, 0.9),
            )
        })
        .collect();
    Band {
        name: name.to_string(),
        points,
    }
}

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
];

/// One chart as an SVG element.
fn chart(title: &str, bands: &[Band]) -> Result<String, ReportError> {
    let err = |e: String| ReportError {
        chart: title.to_string(),
        reason: e,
    };
    let finite = |v: f64| v.is_finite() && v.abs() < 1e300;
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut x_max = 1.0f64;
    for b in bands {
        for &(x, p10, _, p90) in &b.points {
            x_max = x_max.max(x);
            for v in [p10, p90] {
                if finite(v) {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
    }
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    if hi <= lo {
        hi = lo + lo.abs().max(1.0) * 0.01;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut c = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(90)
            .build_cartesian_2d(0f64..x_max, lo..hi)
            .map_err(|e| err(e.to_string()))?;
        c.configure_mesh()
            .x_desc("epoch")
            .y_label_formatter(&|v| format!("{v:.3e}"))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        for (i, b) in bands.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let clamp = |v: f64| if finite(v) { v.clamp(lo, hi) } else { hi };
            let mut outline: Vec<(f64, f64)> = b.points.iter().map(|p| (p.0, clamp(p.3))).collect();
            outline.extend(b.points.iter().rev().map(|p| (p.0, clamp(p.1))));
            c.draw_series(std::iter::once(Polygon::new(outline, color.mix(0.18))))
                .map_err(|e| err(e.to_string()))?;
            c.draw_series(LineSeries::new(
                b.points.iter().map(|p| (p.0, clamp(p.2))),
                color.stroke_width(2),
            ))
            .map_err(|e| err(e.to_string()))?
            .label(b.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        }
        c.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(svg)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The report of one sweep point's runs: a self-contained HTML page.
pub fn html(runs: &Runs, scenario: &str, label: &str) -> Result<String, ReportError> {
    let int = |name: &str| {
        Metric::Int(
            INT_METRICS
                .iter()
                .position(|m| *m == name)
                .expect("a metric"),
        )
    };
    let float = |name: &str| {
        Metric::Float(
            FLOAT_METRICS
                .iter()
                .position(|m| *m == name)
                .expect("a metric"),
        )
    };
    let nets = &runs.networks;
    let net_int =
        |n: usize, k: usize| Metric::Int(INT_METRICS.len() + n * NETWORK_INT_METRICS.len() + k);
    let net_float = |n: usize, k: usize| {
        Metric::Float(FLOAT_METRICS.len() + n * NETWORK_FLOAT_METRICS.len() + k)
    };
    let per_net = |m: &dyn Fn(usize) -> Metric| -> Vec<Band> {
        nets.iter()
            .enumerate()
            .map(|(i, n)| band(runs, n, m(i)))
            .collect()
    };
    let charts: Vec<(&str, Vec<Band>)> = vec![
        (
            "Supply (smallest unit)",
            vec![
                band(runs, "supply", int("supply")),
                band(runs, "circulating", int("circulating")),
            ],
        ),
        (
            "Emission vs burn per epoch (smallest unit)",
            vec![
                band(runs, "minted", int("minted")),
                band(runs, "burned", int("burned")),
            ],
        ),
        (
            "Net inflation (annualised)",
            vec![band(runs, "net inflation", float("net_inflation"))],
        ),
        ("Operators by network", per_net(&|i| net_int(i, 0))),
        (
            "Operator ROI (net position / device cost)",
            per_net(&|i| net_float(i, 0)),
        ),
        ("Payback (epochs)", per_net(&|i| net_float(i, 1))),
        (
            "Token price (USD)",
            vec![band(runs, "price", float("price_usd"))],
        ),
        (
            "Usage: credits burned per epoch",
            vec![band(runs, "credits", int("credits_burned"))],
        ),
    ];
    let mut page = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>plinth sim: {s} ({l})</title>\n\
         <style>body{{font-family:sans-serif;margin:24px}} figure{{margin:0 0 18px}}</style></head><body>\n\
         <h1>plinth sim: {s}</h1>\n<p>{l}: {r} runs from seed {seed}, {e} epochs. Lines are medians across runs; bands run from the 10th to the 90th percentile.</p>\n",
        s = escape(scenario),
        l = escape(label),
        r = runs.runs.len(),
        seed = runs.seed,
        e = runs.runs[0].epochs,
    );
    for (title, bands) in &charts {
        page.push_str("<figure class=\"chart\">\n");
        page.push_str(&chart(title, bands)?);
        page.push_str("\n</figure>\n");
    }
    page.push_str("</body></html>\n");
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn the_report_holds_every_chart_as_svg() {
        let mut s = Scenario::builtin("flywheel").unwrap();
        s.horizon.epochs = 50;
        let runs = crate::simulate(&s, &s.economy(None).unwrap(), 3, 1, &|| {}).unwrap();
        let page = html(&runs, "flywheel", "base").unwrap();
        assert_eq!(page.matches("<svg").count(), 8);
        for title in [
            "Supply",
            "Emission vs burn",
            "Operators by network",
            "Token price",
            "coverage",
            "storage",
        ] {
            assert!(page.contains(title), "{title}");
        }
        assert!(!page.contains("<script"), "no script");
        assert!(
            !page.contains("src=\"http") && !page.contains("href=\"http"),
            "no CDN"
        );
        // Deterministic.
        assert_eq!(page, html(&runs, "flywheel", "base").unwrap());
    }
}
