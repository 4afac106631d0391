//! Screenshots of an X11 desktop: the primary monitor's rectangle (RandR 1.5 monitors; the
//! whole root window when the server has no RandR) read with the core `GetImage` request in
//! ZPixmap format, and turned into RGBA with the root visual's colour masks.
//!
//! Why not xcap here, as on Windows and macOS: on Linux xcap always links PipeWire, GBM and
//! D-Bus for Wayland's screen-capture portal, which this agent cannot use (on Linux it is
//! X11-only: idle time, input and focus all come from the X server). That made libpipewire a
//! run-time requirement of the agent on plain X11 desktops, and took bindgen, libclang and a
//! second zbus into every build (~3 CPU-minutes of the test command's cold build).

use image::RgbaImage;
use x11rb::connection::Connection;
use x11rb::protocol::randr::ConnectionExt as _;
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, ImageOrder, VisualClass};

use crate::tracking::screenshots::{CaptureError, ScreenSource};

/// The primary monitor of the X server named by `$DISPLAY` (or `display`). One connection per
/// capture: captures are minutes apart, and the X server may have restarted in between.
#[derive(Debug, Default)]
pub struct X11Screen {
    display: Option<String>,
}

impl X11Screen {
    /// Screenshots of `display` (`:99`), or of `$DISPLAY` when `None`.
    pub fn new(display: Option<&str>) -> Self {
        X11Screen {
            display: display.map(str::to_string),
        }
    }
}

/// A rectangle of the root window, in its pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Area {
    x: i16,
    y: i16,
    width: u16,
    height: u16,
}

impl ScreenSource for X11Screen {
    fn capture(&mut self) -> Result<RgbaImage, CaptureError> {
        let no_screen = |e: &dyn std::fmt::Display| CaptureError::NoScreen(e.to_string());
        let failed = |e: &dyn std::fmt::Display| CaptureError::Capture(e.to_string());
        let (conn, screen_index) =
            x11rb::connect(self.display.as_deref()).map_err(|e| no_screen(&e))?;
        let setup = conn.setup();
        let screen = setup
            .roots
            .get(screen_index)
            .ok_or_else(|| CaptureError::NoScreen("the X server named no screen".into()))?;
        let whole = Area {
            x: 0,
            y: 0,
            width: screen.width_in_pixels,
            height: screen.height_in_pixels,
        };
        let area = primary_monitor(&conn, screen.root)
            .and_then(|monitor| clip(monitor, whole))
            .unwrap_or(whole);

        let visual = screen
            .allowed_depths
            .iter()
            .flat_map(|depth| &depth.visuals)
            .find(|visual| visual.visual_id == screen.root_visual)
            .ok_or_else(|| CaptureError::Capture("the root visual is not listed".into()))?;
        if visual.class != VisualClass::TRUE_COLOR && visual.class != VisualClass::DIRECT_COLOR {
            return Err(CaptureError::Capture(format!(
                "the root visual is {:?}; only true-colour displays are captured",
                visual.class
            )));
        }
        let format = setup
            .pixmap_formats
            .iter()
            .find(|format| format.depth == screen.root_depth)
            .ok_or_else(|| {
                CaptureError::Capture(format!("no pixel format for depth {}", screen.root_depth))
            })?;
        let layout = PixelLayout {
            bits_per_pixel: format.bits_per_pixel,
            scanline_pad: format.scanline_pad,
            msb_first: setup.image_byte_order == ImageOrder::MSB_FIRST,
            red_mask: visual.red_mask,
            green_mask: visual.green_mask,
            blue_mask: visual.blue_mask,
        };

        let image = conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                screen.root,
                area.x,
                area.y,
                area.width,
                area.height,
                !0,
            )
            .map_err(|e| failed(&e))?
            .reply()
            .map_err(|e| failed(&e))?;
        to_rgba(&image.data, area.width, area.height, &layout)
    }
}

/// The primary monitor's rectangle (or the first monitor's), when the server speaks RandR 1.5.
fn primary_monitor(conn: &impl Connection, root: u32) -> Option<Area> {
    let monitors = conn.randr_get_monitors(root, true).ok()?.reply().ok()?;
    let monitor = monitors
        .monitors
        .iter()
        .find(|m| m.primary)
        .or_else(|| monitors.monitors.first())?;
    Some(Area {
        x: monitor.x,
        y: monitor.y,
        width: monitor.width,
        height: monitor.height,
    })
}

/// `area` cut to what lies inside `whole` (GetImage fails on a rectangle that leaves the
/// root window); `None` when nothing is left.
fn clip(area: Area, whole: Area) -> Option<Area> {
    let left = i32::from(area.x).max(0);
    let top = i32::from(area.y).max(0);
    let right = (i32::from(area.x) + i32::from(area.width)).min(i32::from(whole.width));
    let bottom = (i32::from(area.y) + i32::from(area.height)).min(i32::from(whole.height));
    if right <= left || bottom <= top {
        return None;
    }
    Some(Area {
        x: i16::try_from(left).ok()?,
        y: i16::try_from(top).ok()?,
        width: u16::try_from(right - left).ok()?,
        height: u16::try_from(bottom - top).ok()?,
    })
}

/// How the X server lays out a ZPixmap image of the root visual.
#[derive(Debug, Clone, Copy)]
struct PixelLayout {
    bits_per_pixel: u8,
    /// Each row is padded to a multiple of this many bits.
    scanline_pad: u8,
    /// The server's image byte order (most servers, Xvfb among them, are LSB first).
    msb_first: bool,
    red_mask: u32,
    green_mask: u32,
    blue_mask: u32,
}

/// Decodes a ZPixmap image of 16, 24 or 32 bits a pixel into opaque RGBA.
fn to_rgba(
    data: &[u8],
    width: u16,
    height: u16,
    layout: &PixelLayout,
) -> Result<RgbaImage, CaptureError> {
    let bytes_per_pixel = match layout.bits_per_pixel {
        16 => 2,
        24 => 3,
        32 => 4,
        other => {
            return Err(CaptureError::Capture(format!(
                "{other} bits a pixel is not supported"
            )))
        }
    };
    let pad = usize::from(layout.scanline_pad.max(8));
    let row_bits = usize::from(width) * usize::from(layout.bits_per_pixel);
    let stride = row_bits.div_ceil(pad) * pad / 8;
    let needed = stride * usize::from(height);
    if data.len() < needed {
        return Err(CaptureError::Capture(format!(
            "the X server sent {} bytes for a {width}×{height} image, {needed} expected",
            data.len()
        )));
    }
    let (width, height) = (u32::from(width), u32::from(height));
    let mut rgba = RgbaImage::new(width, height);
    for (y, row) in data.chunks_exact(stride).take(height as usize).enumerate() {
        for (x, bytes) in row
            .chunks_exact(bytes_per_pixel)
            .take(width as usize)
            .enumerate()
        {
            let pixel = bytes.iter().enumerate().fold(0u32, |acc, (i, &b)| {
                let shift = if layout.msb_first {
                    8 * (bytes_per_pixel - 1 - i)
                } else {
                    8 * i
                };
                acc | u32::from(b) << shift
            });
            rgba.put_pixel(
                x as u32,
                y as u32,
                image::Rgba([
                    channel(pixel, layout.red_mask),
                    channel(pixel, layout.green_mask),
                    channel(pixel, layout.blue_mask),
                    255,
                ]),
            );
        }
    }
    Ok(rgba)
}

/// The colour channel under `mask`, scaled to 8 bits (5 and 6 bit channels of a 16-bit display
/// stretch to 0‥255, so white stays white).
fn channel(pixel: u32, mask: u32) -> u8 {
    if mask == 0 {
        return 0;
    }
    let shift = mask.trailing_zeros();
    let bits = (mask >> shift).count_ones();
    let value = (pixel & mask) >> shift;
    if bits >= 8 {
        (value >> (bits - 8)) as u8
    } else {
        let max = (1u32 << bits) - 1;
        ((value * 255 + max / 2) / max) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRUE_COLOR_32: PixelLayout = PixelLayout {
        bits_per_pixel: 32,
        scanline_pad: 32,
        msb_first: false,
        red_mask: 0x00ff_0000,
        green_mask: 0x0000_ff00,
        blue_mask: 0x0000_00ff,
    };

    #[test]
    fn a_depth_24_screen_reads_blue_green_red_padding_in_memory_order() {
        // Two pixels, LSB first: orange (ff8000) and blue (0000ff), each B G R X.
        let data = [0x00, 0x80, 0xff, 0x00, 0xff, 0x00, 0x00, 0x00];
        let image = to_rgba(&data, 2, 1, &TRUE_COLOR_32).unwrap();
        assert_eq!(image.get_pixel(0, 0).0, [0xff, 0x80, 0x00, 255]);
        assert_eq!(image.get_pixel(1, 0).0, [0x00, 0x00, 0xff, 255]);
    }

    #[test]
    fn an_msb_first_server_reads_the_bytes_the_other_way_round() {
        let layout = PixelLayout {
            msb_first: true,
            ..TRUE_COLOR_32
        };
        let data = [0x00, 0xff, 0x80, 0x00];
        let image = to_rgba(&data, 1, 1, &layout).unwrap();
        assert_eq!(image.get_pixel(0, 0).0, [0xff, 0x80, 0x00, 255]);
    }

    #[test]
    fn rows_padded_to_the_scanline_unit_are_skipped_past() {
        // 24 bits a pixel, rows padded to 32 bits: a 1-pixel row takes 4 bytes.
        let layout = PixelLayout {
            bits_per_pixel: 24,
            ..TRUE_COLOR_32
        };
        let data = [0x01, 0x02, 0x03, 0xee, 0x04, 0x05, 0x06, 0xee];
        let image = to_rgba(&data, 1, 2, &layout).unwrap();
        assert_eq!(image.get_pixel(0, 0).0, [0x03, 0x02, 0x01, 255]);
        assert_eq!(image.get_pixel(0, 1).0, [0x06, 0x05, 0x04, 255]);
    }

    #[test]
    fn a_16_bit_screen_stretches_its_channels_to_full_range() {
        let layout = PixelLayout {
            bits_per_pixel: 16,
            scanline_pad: 32,
            msb_first: false,
            red_mask: 0xf800,
            green_mask: 0x07e0,
            blue_mask: 0x001f,
        };
        // White (ffff), then pure green (07e0), then a padding pair: rows are 32-bit padded.
        let data = [0xff, 0xff, 0xe0, 0x07];
        let image = to_rgba(&data, 2, 1, &layout).unwrap();
        assert_eq!(image.get_pixel(0, 0).0, [255, 255, 255, 255]);
        assert_eq!(image.get_pixel(1, 0).0, [0, 255, 0, 255]);
    }

    #[test]
    fn a_short_reply_or_an_odd_format_is_an_error_not_a_panic() {
        assert!(matches!(
            to_rgba(&[0; 7], 2, 1, &TRUE_COLOR_32),
            Err(CaptureError::Capture(_))
        ));
        let odd = PixelLayout {
            bits_per_pixel: 8,
            ..TRUE_COLOR_32
        };
        assert!(matches!(
            to_rgba(&[0; 8], 2, 1, &odd),
            Err(CaptureError::Capture(_))
        ));
    }

    #[test]
    fn a_monitor_is_clipped_to_the_root_window() {
        let whole = Area {
            x: 0,
            y: 0,
            width: 1920,
            height: 1080,
        };
        let right_half_off = Area {
            x: 1000,
            y: -10,
            width: 1920,
            height: 1080,
        };
        assert_eq!(
            clip(right_half_off, whole),
            Some(Area {
                x: 1000,
                y: 0,
                width: 920,
                height: 1070
            })
        );
        let outside = Area { x: 2000, ..whole };
        assert_eq!(clip(outside, whole), None);
    }

    #[test]
    fn no_display_is_an_error_not_a_crash() {
        let mut screen = X11Screen::new(Some(":4719"));
        assert!(matches!(screen.capture(), Err(CaptureError::NoScreen(_))));
    }
}
