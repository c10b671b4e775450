//! Colours, fonts and sizes every chart shares.

use plotters::style::{FontDesc, IntoFont, RGBColor};

/// Width of a chart's SVG, legend included.
pub const WIDTH: u32 = 960;
/// Height of a chart's SVG unless the legend needs more.
pub const HEIGHT: u32 = 500;
/// Width of the legend column at the right.
pub const LEGEND_WIDTH: u32 = 250;
/// Height of one legend entry.
pub const LEGEND_ROW: u32 = 18;
/// Longest label a legend shows before cutting it.
pub const LEGEND_CHARS: usize = 34;

/// Font family: generic, so the viewer picks an installed sans-serif.
pub const FAMILY: &str = "sans-serif";

/// Title font.
pub fn title_font() -> FontDesc<'static> {
    (FAMILY, 20).into_font()
}

/// Axis description font.
pub fn axis_font() -> FontDesc<'static> {
    (FAMILY, 15).into_font()
}

/// Tick label and legend font.
pub fn small_font() -> FontDesc<'static> {
    (FAMILY, 13).into_font()
}

/// Tableau 10: distinct, colour-blind friendly series colours.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xED, 0xC9, 0x48),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0xBA, 0xB0, 0xAC),
];

/// The colour of series `i`: the palette, then the palette lightened
/// (series 10 to 19), and so on.
pub fn series_colour(i: usize) -> RGBColor {
    let RGBColor(r, g, b) = PALETTE[i % PALETTE.len()];
    if (i / PALETTE.len()).is_multiple_of(2) {
        RGBColor(r, g, b)
    } else {
        let light = |c: u8| c + ((255 - c) as f32 * 0.5) as u8;
        RGBColor(light(r), light(g), light(b))
    }
}

/// Grey for guides (cache-size markers, empty cells).
pub const GUIDE: RGBColor = RGBColor(0x88, 0x88, 0x88);

/// A label cut to `max` characters with an ellipsis.
pub fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        label.chars().take(max - 1).chain(std::iter::once('…')).collect()
    }
}
