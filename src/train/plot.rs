//! Training curves as an SVG image: panels stacked vertically on a shared x axis (the epoch),
//! each with round-number ticks, a grid, one line per series and a legend beside the plot.
//! Written by hand, without a plotting crate: the output is plain, deterministic text.

use std::fmt::Write as _;
use std::path::Path;

/// One curve: `(x, y)` points, e.g. `(epoch, loss)`. Points with a NaN or infinite coordinate
/// (or one beyond ±1e300) are skipped; a series left without points is not drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The name shown in the legend.
    pub label: String,
    /// The curve's `(x, y)` points, drawn in order.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A curve named `label` through `points`.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series {
            label: label.into(),
            points,
        }
    }
}

/// One plot of the figure: a title, the y axis label and its curves.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// The heading above the panel.
    pub title: String,
    /// The y axis label (e.g. `loss`).
    pub y_label: String,
    /// The curves drawn in the panel, each in its own colour.
    pub series: Vec<Series>,
}

impl Panel {
    /// A panel titled `title` with `y_label` on its y axis, drawing `series`.
    pub fn new(title: impl Into<String>, y_label: impl Into<String>, series: Vec<Series>) -> Panel {
        Panel {
            title: title.into(),
            y_label: y_label.into(),
            series,
        }
    }
}

/// Writes [`render_svg`] to `path`, creating its parent directories. Atomic: the image goes to
/// an exclusively created temporary beside it, then is renamed over `path`.
pub fn write_svg(path: &Path, title: &str, x_label: &str, panels: &[Panel]) -> std::io::Result<()> {
    crate::atomic_write::write_atomic(path, render_svg(title, x_label, panels).as_bytes())
}

/// The figure as an SVG document: `title` on top, the panels one below the other sharing an x
/// axis labelled `x_label` at the bottom.
pub fn render_svg(title: &str, x_label: &str, panels: &[Panel]) -> String {
    let panels: Vec<Prepared> = panels.iter().map(Prepared::new).collect();
    let x_axis = Axis::fit(panels.iter().flat_map(|p| p.points().map(|(x, _)| x)));

    // Horizontal layout: y label, y tick labels, plot, legend. Every panel shares it, so the
    // x axes line up.
    let y_ticks_w = panels
        .iter()
        .flat_map(|p| p.y_axis.labels())
        .map(|l| text_width(&l, TICK_FONT))
        .fold(0.0, f64::max);
    let x0 = MARGIN + LABEL_FONT + 10.0 + y_ticks_w + 7.0;
    let x1 = x0 + PLOT_W;
    let legend_text_w = panels
        .iter()
        .flat_map(|p| &p.series)
        .map(|s| text_width(s.label, LABEL_FONT))
        .fold(0.0, f64::max);
    let legend_x = x1 + 16.0;
    let legend_w = if legend_text_w > 0.0 {
        LEGEND_SWATCH + 8.0 + legend_text_w + 12.0
    } else {
        0.0
    };
    let last_x_tick_w = x_axis
        .labels()
        .last()
        .map_or(0.0, |l| text_width(l, TICK_FONT));
    let width = (legend_x + legend_w)
        .max(x1 + last_x_tick_w / 2.0)
        .max(2.0 * MARGIN + text_width(title, TITLE_FONT))
        + MARGIN;
    let panel_h = PANEL_TITLE_H + PLOT_H + X_TICKS_H;
    let top = MARGIN + TITLE_H;
    let n = panels.len() as f64;
    let height = top + n * panel_h + (n - 1.0).max(0.0) * PANEL_GAP + X_LABEL_H + MARGIN;

    let mut svg = Svg(String::new());
    svg.raw(&format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">"#
    ));
    svg.raw(r#"<rect width="100%" height="100%" fill="white"/>"#);
    svg.text(
        width / 2.0,
        MARGIN + TITLE_FONT,
        "middle",
        TITLE_FONT,
        r#" font-weight="bold""#,
        title,
    );
    let mut y0 = top;
    for panel in &panels {
        let frame = Frame {
            x0,
            x1,
            y0: y0 + PANEL_TITLE_H,
            y1: y0 + PANEL_TITLE_H + PLOT_H,
        };
        panel.draw(&mut svg, &frame, &x_axis, legend_x, legend_w);
        y0 += panel_h + PANEL_GAP;
    }
    let bottom = y0 - PANEL_GAP;
    svg.text(
        (x0 + x1) / 2.0,
        bottom + X_LABEL_H - 6.0,
        "middle",
        LABEL_FONT,
        "",
        x_label,
    );
    svg.raw("</svg>");
    svg.0
}

const MARGIN: f64 = 12.0;
const TITLE_H: f64 = 30.0;
const PANEL_TITLE_H: f64 = 26.0;
const PLOT_W: f64 = 560.0;
const PLOT_H: f64 = 200.0;
/// Below each plot: tick marks and their labels.
const X_TICKS_H: f64 = 22.0;
/// Below the last panel: the x axis label.
const X_LABEL_H: f64 = 24.0;
const PANEL_GAP: f64 = 12.0;
const TITLE_FONT: f64 = 16.0;
const LABEL_FONT: f64 = 12.0;
const TICK_FONT: f64 = 11.0;
const LEGEND_SWATCH: f64 = 24.0;
const LEGEND_ROW: f64 = 18.0;
/// Series with more points than this are drawn without markers (they would merge into a band).
const MAX_MARKERS: usize = 100;
/// Matplotlib's default cycle ("tab10"): ten colours that stay distinct in print.
const COLOURS: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// A generous estimate of a string's width in a sans-serif font (no font metrics are read;
/// 0.62 em per character covers digits, lower case and most capitals).
fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.62
}

/// A panel with its drawable points and its y axis.
struct Prepared<'a> {
    title: &'a str,
    y_label: &'a str,
    /// Series that kept at least one point, with their colour.
    series: Vec<Clean<'a>>,
    y_axis: Axis,
}

struct Clean<'a> {
    label: &'a str,
    colour: &'static str,
    points: Vec<(f64, f64)>,
}

/// The plot area in pixels.
struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl<'a> Prepared<'a> {
    fn new(panel: &'a Panel) -> Prepared<'a> {
        let plottable = |v: f64| v.is_finite() && v.abs() <= 1e300;
        let series: Vec<Clean> = panel
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| Clean {
                label: &s.label,
                colour: COLOURS[i % COLOURS.len()],
                points: (s.points.iter().copied())
                    .filter(|&(x, y)| plottable(x) && plottable(y))
                    .collect(),
            })
            .filter(|s| !s.points.is_empty())
            .collect();
        let y_axis = Axis::fit(series.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
        Prepared {
            title: &panel.title,
            y_label: &panel.y_label,
            series,
            y_axis,
        }
    }

    fn points(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.series.iter().flat_map(|s| s.points.iter().copied())
    }

    fn draw(&self, svg: &mut Svg, f: &Frame, x_axis: &Axis, legend_x: f64, legend_w: f64) {
        let px = |x: f64| x_axis.map(x, f.x0, f.x1);
        let py = |y: f64| self.y_axis.map(y, f.y1, f.y0);
        svg.raw("<g>");
        svg.text(
            (f.x0 + f.x1) / 2.0,
            f.y0 - 9.0,
            "middle",
            LABEL_FONT + 1.0,
            r#" font-weight="bold""#,
            self.title,
        );
        // Grid, ticks and tick labels.
        for (&t, label) in x_axis.ticks.iter().zip(x_axis.labels()) {
            let x = px(t);
            svg.line(x, f.y0, x, f.y1, "#e4e4e4", 1.0);
            svg.line(x, f.y1, x, f.y1 + 4.0, "#444", 1.0);
            svg.text(x, f.y1 + 16.0, "middle", TICK_FONT, "", &label);
        }
        for (&t, label) in self.y_axis.ticks.iter().zip(self.y_axis.labels()) {
            let y = py(t);
            svg.line(f.x0, y, f.x1, y, "#e4e4e4", 1.0);
            svg.line(f.x0 - 4.0, y, f.x0, y, "#444", 1.0);
            svg.text(
                f.x0 - 7.0,
                y + 0.35 * TICK_FONT,
                "end",
                TICK_FONT,
                "",
                &label,
            );
        }
        svg.raw(&format!(
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#444" stroke-width="1"/>"##,
            f.x0,
            f.y0,
            f.x1 - f.x0,
            f.y1 - f.y0
        ));
        // The y label, rotated, its baseline one font size from the left margin.
        let (lx, ly) = (MARGIN + LABEL_FONT, (f.y0 + f.y1) / 2.0);
        svg.text(
            lx,
            ly,
            "middle",
            LABEL_FONT,
            &format!(r#" transform="rotate(-90 {lx:.1} {ly:.1})""#),
            self.y_label,
        );
        if self.series.is_empty() {
            svg.text(
                (f.x0 + f.x1) / 2.0,
                (f.y0 + f.y1) / 2.0,
                "middle",
                LABEL_FONT,
                r##" fill="#888""##,
                "no data",
            );
        }
        // Curves, then markers on top.
        for s in &self.series {
            let mut points = String::new();
            for &(x, y) in &s.points {
                let sep = if points.is_empty() { "" } else { " " };
                let _ = write!(points, "{sep}{:.1},{:.1}", px(x), py(y));
            }
            svg.raw(&format!(
                r#"<polyline fill="none" stroke="{}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round" points="{points}"/>"#,
                s.colour
            ));
            if s.points.len() <= MAX_MARKERS {
                for &(x, y) in &s.points {
                    svg.circle(px(x), py(y), s.colour);
                }
            }
        }
        // Legend beside the plot, top-aligned, in a light box.
        if !self.series.is_empty() {
            let h = self.series.len() as f64 * LEGEND_ROW + 8.0;
            svg.raw(&format!(
                r##"<rect x="{legend_x:.1}" y="{:.1}" width="{legend_w:.1}" height="{h:.1}" fill="white" stroke="#ccc" stroke-width="1"/>"##,
                f.y0
            ));
            for (i, s) in self.series.iter().enumerate() {
                let y = f.y0 + 4.0 + LEGEND_ROW * (i as f64 + 0.5);
                let sx = legend_x + 6.0;
                svg.line(sx, y, sx + LEGEND_SWATCH, y, s.colour, 2.0);
                if s.points.len() <= MAX_MARKERS {
                    svg.circle(sx + LEGEND_SWATCH / 2.0, y, s.colour);
                }
                svg.text(
                    sx + LEGEND_SWATCH + 6.0,
                    y + 0.35 * LABEL_FONT,
                    "start",
                    LABEL_FONT,
                    "",
                    s.label,
                );
            }
        }
        svg.raw("</g>");
    }
}

/// An axis: its range (the data's, plus a margin) and ticks at round numbers inside it.
#[derive(Debug, PartialEq)]
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    /// Decimal places that show every tick exactly.
    decimals: usize,
}

impl Axis {
    /// The range of `values` (`[0, 1]` without values) widened by 4% on each side so no point
    /// sits on the frame, with ticks every 1, 2, 2.5 or 5 times a power of ten, about five
    /// intervals over the range. Equal values are padded first (by 1 if they are integers or 0,
    /// else by 10%), and integer data (epochs) gets integer steps.
    fn fit(values: impl Iterator<Item = f64>) -> Axis {
        let (mut min, mut max, mut integer) = (f64::INFINITY, f64::NEG_INFINITY, true);
        for v in values {
            min = min.min(v);
            max = max.max(v);
            integer &= v.fract() == 0.0;
        }
        if min > max {
            (min, max, integer) = (0.0, 1.0, false);
        }
        if min == max {
            let pad = if integer || min == 0.0 {
                1.0
            } else {
                0.1 * min.abs()
            };
            (min, max) = (min - pad, max + pad);
            if min == max {
                (min, max) = (min - 1.0, max + 1.0); // 10% of a subnormal underflows
            }
        }
        let margin = 0.04 * (max - min);
        let (lo, hi) = (min - margin, max + margin);
        let step = nice_step(hi - lo, integer);
        let (first, last) = ((lo / step).ceil(), (hi / step).floor());
        // Steps near the resolution of f64 at this magnitude would round onto each other.
        let resolvable = step > 1e-12 * lo.abs().max(hi.abs());
        let ticks = if resolvable && last >= first && last - first <= 100.0 {
            (0..=(last - first) as usize)
                .map(|i| ((first + i as f64) * step).clamp(lo, hi))
                .collect()
        } else {
            vec![lo, hi]
        };
        Axis {
            lo,
            hi,
            ticks,
            decimals: decimals(step),
        }
    }

    /// `v` mapped from `[lo, hi]` to pixels `[p0, p1]`.
    fn map(&self, v: f64, p0: f64, p1: f64) -> f64 {
        p0 + (v - self.lo) / (self.hi - self.lo) * (p1 - p0)
    }

    fn labels(&self) -> Vec<String> {
        let d = self.decimals;
        self.ticks.iter().map(|t| format!("{t:.d$}")).collect()
    }
}

/// The multiple of a power of ten by 1, 2, 2.5, 5 or 10 that splits `span` (> 0) into the
/// number of intervals nearest to five; only whole numbers of at least 1 if `integer`.
fn nice_step(span: f64, integer: bool) -> f64 {
    const INTERVALS: f64 = 5.0;
    let magnitude = 10f64.powf((span / INTERVALS).log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .filter(|&step| !integer || (step >= 1.0 && step.fract() == 0.0))
        .min_by(|a, b| {
            (span / a - INTERVALS)
                .abs()
                .total_cmp(&(span / b - INTERVALS).abs())
        })
        .unwrap_or(1.0)
}

/// Decimal places needed to print multiples of `step` exactly (at most 12).
fn decimals(step: f64) -> usize {
    (0..=12)
        .find(|&d| {
            let s = step * 10f64.powi(d as i32);
            (s - s.round()).abs() < 1e-6 * s
        })
        .unwrap_or(12)
}

/// An SVG document being written, one element per line.
struct Svg(String);

impl Svg {
    fn raw(&mut self, element: &str) {
        self.0.push_str(element);
        self.0.push('\n');
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) {
        self.raw(&format!(
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="{width}"/>"#
        ));
    }

    fn circle(&mut self, cx: f64, cy: f64, fill: &str) {
        self.raw(&format!(
            r#"<circle cx="{cx:.1}" cy="{cy:.1}" r="3" fill="{fill}" stroke="white" stroke-width="0.8"/>"#
        ));
    }

    /// Text at `(x, y)` (the baseline); `extra` holds further attributes, `content` is escaped.
    fn text(&mut self, x: f64, y: f64, anchor: &str, size: f64, extra: &str, content: &str) {
        self.raw(&format!(
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" font-size="{size}"{extra}>{}</text>"#,
            escape(content)
        ));
    }
}

/// `s` as XML character data: the five special characters as entities, tabs and line breaks
/// as spaces (a label is one line), other control characters (mostly invalid in XML) dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks that every tag is closed in order and every `&` starts an entity; returns the
    /// element names in document order.
    fn well_formed(svg: &str) -> Vec<String> {
        let (mut stack, mut names) = (Vec::new(), Vec::new());
        let mut rest = svg;
        while let Some(open) = rest.find('<') {
            let text = &rest[..open];
            for (j, _) in text.match_indices('&') {
                let entity = &text[j..text[j..].find(';').map_or(text.len(), |k| j + k + 1)];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity),
                    "bad entity {entity:?}"
                );
            }
            let close = open + rest[open..].find('>').expect("unclosed tag");
            let tag = &rest[open + 1..close];
            assert!(!tag.contains('<'), "{tag}");
            let name = tag
                .trim_start_matches('/')
                .split([' ', '/'])
                .next()
                .unwrap()
                .to_string();
            if tag.starts_with('/') {
                assert_eq!(stack.pop().as_ref(), Some(&name), "mismatched </{name}>");
            } else {
                names.push(name.clone());
                if !tag.ends_with('/') {
                    stack.push(name);
                }
            }
            rest = &rest[close + 1..];
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
        assert_eq!(rest.trim(), "");
        names
    }

    /// The points of every polyline, in pixels.
    fn polylines(svg: &str) -> Vec<Vec<(f64, f64)>> {
        svg.lines()
            .filter(|l| l.starts_with("<polyline"))
            .map(|l| {
                let pts = l
                    .split("points=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap();
                pts.split(' ')
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect()
            })
            .collect()
    }

    fn curves() -> Vec<Panel> {
        let epochs = |ys: &[f64]| -> Vec<(f64, f64)> {
            ys.iter()
                .enumerate()
                .map(|(i, &y)| (i as f64 + 1.0, y))
                .collect()
        };
        vec![
            Panel::new(
                "loss",
                "cross-entropy",
                vec![
                    Series::new("train", epochs(&[2.0, 1.2, 0.8, 0.5, 0.4])),
                    Series::new("validation", epochs(&[2.1, 1.4, f64::NAN, 0.9, 0.85])),
                    Series::new("never ran", vec![]),
                ],
            ),
            Panel::new(
                "accuracy",
                "accuracy",
                vec![
                    Series::new("all NaN", vec![(1.0, f64::NAN), (f64::NAN, 0.5)]),
                    Series::new("validation accuracy", epochs(&[0.5, f64::INFINITY, 0.9])),
                ],
            ),
        ]
    }

    #[test]
    fn one_polyline_per_drawn_series_with_its_finite_points() {
        let svg = render_svg("run 1", "epoch", &curves());
        let names = well_formed(&svg);
        assert_eq!(names[0], "svg");
        let lines = polylines(&svg);
        assert_eq!(
            lines.iter().map(Vec::len).collect::<Vec<_>>(),
            [5, 4, 2],
            "train, validation without its NaN, accuracy without its inf"
        );
        // Markers: one per point, plus one per legend entry.
        assert_eq!(names.iter().filter(|n| *n == "circle").count(), 11 + 3);
        for text in [
            "train",
            "validation",
            "validation accuracy",
            "loss",
            "cross-entropy",
        ] {
            assert!(svg.contains(&format!(">{text}</text>")), "{text}");
        }
        for skipped in ["never ran", "all NaN", "no data"] {
            assert!(!svg.contains(skipped), "{skipped}");
        }
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        // Series of a panel get distinct colours.
        assert!(svg.contains(r##"stroke="#1f77b4" stroke-width="2" stroke-linejoin"##));
        assert!(svg.contains(r##"stroke="#ff7f0e" stroke-width="2" stroke-linejoin"##));
    }

    #[test]
    fn curves_map_into_their_panel_in_order() {
        let svg = render_svg("run 1", "epoch", &curves());
        let lines = polylines(&svg);
        // Frames are the rects with a dark stroke, in panel order.
        let frames: Vec<(f64, f64, f64, f64)> = svg
            .lines()
            .filter(|l| l.starts_with("<rect") && l.contains(r##"stroke="#444""##))
            .map(|l| {
                let attr = |a: &str| -> f64 {
                    let v = l.split(&format!(" {a}=\"")).nth(1).unwrap();
                    v.split('"').next().unwrap().parse().unwrap()
                };
                (attr("x"), attr("y"), attr("width"), attr("height"))
            })
            .collect();
        assert_eq!(frames.len(), 2);
        let inside = |(x, y): (f64, f64), (fx, fy, fw, fh): (f64, f64, f64, f64)| {
            x > fx && x < fx + fw && y > fy && y < fy + fh
        };
        for (line, frame) in [
            (&lines[0], frames[0]),
            (&lines[1], frames[0]),
            (&lines[2], frames[1]),
        ] {
            assert!(line.iter().all(|&p| inside(p, frame)), "{line:?} {frame:?}");
        }
        // Later epochs lie to the right; a falling loss goes down the page (larger y).
        let train = &lines[0];
        assert!(train.windows(2).all(|w| w[1].0 > w[0].0 && w[1].1 > w[0].1));
        // The panels share the x axis: epoch 1 is at the same pixel in both.
        assert_eq!(train[0].0, lines[2][0].0);
        // Epoch 3 of the accuracy panel is where epoch 3 of the loss panel is.
        assert_eq!(lines[2][1].0, train[2].0);
    }

    #[test]
    fn labels_are_escaped() {
        let panels = [Panel::new(
            "a<b",
            "y & \"z\"",
            vec![Series::new("it's <ok>\u{7}", vec![(0.0, 1.0), (1.0, 2.0)])],
        )];
        let svg = render_svg("R&D", "x > 0", &panels);
        well_formed(&svg);
        for escaped in [
            ">a&lt;b<",
            ">y &amp; &quot;z&quot;<",
            ">it&apos;s &lt;ok&gt;<",
            ">R&amp;D<",
            ">x &gt; 0<",
        ] {
            assert!(svg.contains(escaped), "{escaped}");
        }
        assert!(!svg.contains('\u{7}'));
    }

    #[test]
    fn degenerate_panels_render_without_dividing_by_zero() {
        let panels = [
            Panel::new(
                "one point",
                "loss",
                vec![Series::new("a", vec![(3.0, 0.5)])],
            ),
            Panel::new(
                "flat",
                "acc",
                vec![Series::new("b", vec![(1.0, 0.9), (2.0, 0.9), (3.0, 0.9)])],
            ),
            Panel::new("nothing", "y", vec![]),
        ];
        let svg = render_svg("edge cases", "epoch", &panels);
        well_formed(&svg);
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        let lines = polylines(&svg);
        assert_eq!(lines.iter().map(Vec::len).collect::<Vec<_>>(), [1, 3]);
        // The flat line is horizontal, strictly inside its frame.
        assert!(lines[1].iter().all(|p| p.1 == lines[1][0].1));
        assert!(svg.contains(">no data</text>"));
        // No panels at all: still a document.
        assert_eq!(well_formed(&render_svg("t", "x", &[]))[0], "svg");
    }

    #[test]
    fn axis_ticks_are_round_numbers_inside_the_padded_range() {
        let axis = |v: &[f64]| Axis::fit(v.iter().copied());
        let loss = axis(&[0.09, 2.15, 1.0]);
        assert_eq!(loss.labels(), ["0.5", "1.0", "1.5", "2.0"]);
        assert!(loss.lo < 0.09 && loss.hi > 2.15);
        let epochs = axis(&(1..=20).map(f64::from).collect::<Vec<_>>());
        assert_eq!(epochs.labels(), ["5", "10", "15", "20"]);
        assert_eq!(axis(&[1.0, 2.0, 3.0]).labels(), ["1", "2", "3"]);
        // Equal values are padded: by 1 for integers, by 10% otherwise.
        assert_eq!(axis(&[3.0]).labels(), ["2", "3", "4"]);
        assert_eq!(axis(&[0.9, 0.9]).labels(), ["0.85", "0.90", "0.95"]);
        assert_eq!(
            axis(&[]).labels(),
            ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
        assert_eq!(
            axis(&[-0.3, 0.3]).labels(),
            ["-0.3", "-0.2", "-0.1", "0.0", "0.1", "0.2", "0.3"]
        );
        assert_eq!(axis(&[0.0, 0.025]).decimals, 3);
        // Extreme ranges still give finite, ordered ticks inside the range.
        for v in [
            [-1e300, 1e300],
            [5e-324, 5e-324],
            [1.0, 1.0 + 2e-16],
            [1e-9, 3e-9],
        ] {
            let a = axis(&v);
            assert!(a.lo < a.hi && a.lo <= v[0] && a.hi >= v[1], "{v:?}: {a:?}");
            assert!(
                !a.ticks.is_empty() && a.ticks.iter().all(|t| (a.lo..=a.hi).contains(t)),
                "{v:?}: {a:?}"
            );
            assert!(a.ticks.windows(2).all(|w| w[0] < w[1]), "{v:?}: {a:?}");
        }
    }

    #[test]
    fn write_svg_creates_directories_and_replaces_the_file() {
        let dir = std::env::temp_dir().join(format!("kiln-plot-test-{}", std::process::id()));
        let path = dir.join("nested").join("curves.svg");
        let panels = curves();
        write_svg(&path, "first", "epoch", &panels).unwrap();
        write_svg(&path, "second", "epoch", &panels).unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        assert_eq!(written, render_svg("second", "epoch", &panels));
        let files: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(files, ["curves.svg"], "no temporary file left behind");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
