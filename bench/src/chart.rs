//! The SVG chart of the ratios (plotters, SVG backend only: no fonts or C libraries).
//! One panel per thread count; one group of bars per figure, one bar per peer, on a
//! log scale around 1: a bar going up means the peer is slower / bigger than Tether.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::harness::Results;
use crate::system::System;

const COLORS: [RGBColor; 6] = [
    RGBColor(0xa6, 0x26, 0x7e), // BEAM
    RGBColor(0x1f, 0x77, 0xb4), // ractor
    RGBColor(0xff, 0x7f, 0x0e), // kameo
    RGBColor(0x2c, 0xa0, 0x2c), // actix
    RGBColor(0x7f, 0x7f, 0x7f), // tokio
    RGBColor(0xbc, 0xbd, 0x22), // Tether, metrics off
];

/// One group of bars: a short label and each peer's ratio.
struct Group {
    label: String,
    ratios: Vec<Option<f64>>,
}

fn groups(r: &Results, threads: usize) -> Vec<Group> {
    let mut out = Vec::new();
    for w in &r.opts.workloads {
        for m in w.metrics {
            let label = if w.metrics.len() == 1 {
                w.name.to_string()
            } else {
                format!("{} {}", w.name, m.unit)
            };
            let ratios: Vec<Option<f64>> = System::ALL[1..]
                .iter()
                .map(|s| r.ratio((w.name, m.key, threads, *s)))
                .collect();
            if ratios.iter().any(Option::is_some) {
                out.push(Group { label, ratios });
            }
        }
    }
    out
}

/// Writes the chart to `path`.
pub fn write(path: &Path, r: &Results) -> Result<(), String> {
    draw(path, r).map_err(|e| format!("chart: {e}"))
}

fn draw(path: &Path, r: &Results) -> Result<(), Box<dyn std::error::Error>> {
    let panels_n = r.opts.threads.len().max(1);
    let root = SVGBackend::new(path, (1400, 440 * panels_n as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((panels_n, 1));
    for (panel, &threads) in panels.iter().zip(&r.opts.threads) {
        let groups = groups(r, threads);
        if groups.is_empty() {
            continue;
        }
        let all: Vec<f64> = groups
            .iter()
            .flat_map(|g| g.ratios.iter().flatten().copied())
            .collect();
        let lo = all.iter().copied().fold(1.0f64, f64::min) / 1.6;
        let hi = all.iter().copied().fold(1.0f64, f64::max) * 1.6;
        let n = groups.len() as f64;
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!(
                    "peer ÷ Tether ({threads} worker thread{}), log scale — above 1: Tether ahead ({})",
                    if threads == 1 { "" } else { "s" },
                    crate::report::today()
                ),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..n, (lo..hi).log_scale())?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(1)
            .x_label_formatter(&|_| String::new())
            .y_desc("ratio")
            .y_label_formatter(&|v| format!("{v}"))
            .draw()?;
        chart.draw_series(LineSeries::new(
            [(0.0, 1.0), (n, 1.0)],
            BLACK.stroke_width(2),
        ))?;
        let bar = 0.8 / COLORS.len() as f64;
        for (j, (peer, color)) in System::ALL[1..].iter().zip(COLORS).enumerate() {
            let bars = groups.iter().enumerate().filter_map(|(i, g)| {
                let x = g.ratios[j]?;
                let x0 = i as f64 + 0.1 + j as f64 * bar;
                Some(Rectangle::new(
                    [(x0, 1.0), (x0 + bar * 0.9, x)],
                    color.filled(),
                ))
            });
            chart
                .draw_series(bars)?
                .label(peer.title())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
            let labels = groups.iter().enumerate().filter_map(|(i, g)| {
                let x = g.ratios[j]?;
                let x0 = i as f64 + 0.1 + (j as f64 + 0.45) * bar;
                let v = if x >= 1.0 { VPos::Bottom } else { VPos::Top };
                Some(Text::new(
                    if x >= 10.0 {
                        format!("{x:.0}")
                    } else {
                        format!("{x:.1}")
                    },
                    (x0, x),
                    ("sans-serif", 10)
                        .into_font()
                        .color(&BLACK)
                        .pos(Pos::new(HPos::Center, v)),
                ))
            });
            chart.draw_series(labels)?;
        }
        for (i, g) in groups.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(i as f64 + 0.5, lo));
            root.draw(&Text::new(
                g.label.clone(),
                (px, py + 8),
                ("sans-serif", 14)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Center, VPos::Top)),
            ))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
