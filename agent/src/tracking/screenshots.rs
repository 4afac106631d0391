//! Screenshots: capture the screen (xcap on Windows and macOS, the X server itself on Linux:
//! `x11::screen`), encode JPEG at the policy's quality, and scale down until it fits the
//! policy's size limit.

use image::{imageops::FilterType, DynamicImage, RgbImage, RgbaImage};

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("no screen to capture: {0}")]
    NoScreen(String),
    #[error("capture failed: {0}")]
    Capture(String),
    #[error("encoding failed: {0}")]
    Encode(String),
}

/// A JPEG ready to upload.
#[derive(Debug, Clone)]
pub struct Shot {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Where screen images come from; the swarm and tests may use another.
pub trait ScreenSource: Send {
    fn capture(&mut self) -> Result<RgbaImage, CaptureError>;
}

/// The primary monitor (or the first one) of the real desktop, through xcap.
#[cfg(any(windows, target_os = "macos"))]
pub struct Desktop;

#[cfg(any(windows, target_os = "macos"))]
impl ScreenSource for Desktop {
    fn capture(&mut self) -> Result<RgbaImage, CaptureError> {
        let monitors = xcap::Monitor::all().map_err(|e| CaptureError::NoScreen(e.to_string()))?;
        let monitor = monitors
            .iter()
            .find(|m| m.is_primary().unwrap_or(false))
            .or_else(|| monitors.first())
            .ok_or_else(|| CaptureError::NoScreen("no monitor".into()))?;
        monitor
            .capture_image()
            .map_err(|e| CaptureError::Capture(e.to_string()))
    }
}

/// How strongly a screenshot is blurred under the policy's `screenshot_blur`: the Gaussian's
/// sigma as a share of the longer side (1/120 of 1920 px is 16 px: windows and layout stay
/// recognisable, text does not).
const BLUR_SHARE: f32 = 1.0 / 120.0;

/// Blurs the image (policy `screenshot_blur`) so that its text cannot be read; done on the
/// computer, before anything leaves it.
pub fn blurred(rgb: &RgbImage) -> RgbImage {
    let longer = rgb.width().max(rgb.height()) as f32;
    image::imageops::fast_blur(rgb, (longer * BLUR_SHARE).max(4.0))
}

/// Encodes at `quality` (blurred first when `blur`), shrinking the picture step by step until
/// it fits `max_bytes`.
pub fn encode_to_fit(
    image: RgbaImage,
    quality: u8,
    max_bytes: usize,
    blur: bool,
) -> Result<Shot, CaptureError> {
    let mut rgb: RgbImage = DynamicImage::ImageRgba8(image).to_rgb8();
    if blur {
        rgb = blurred(&rgb);
    }
    loop {
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
            .encode_image(&rgb)
            .map_err(|e| CaptureError::Encode(e.to_string()))?;
        let (width, height) = rgb.dimensions();
        if jpeg.len() <= max_bytes {
            return Ok(Shot {
                jpeg,
                width,
                height,
            });
        }
        if width <= 32 || height <= 32 {
            return Err(CaptureError::Encode(format!(
                "cannot fit the screenshot into {max_bytes} bytes"
            )));
        }
        let (w, h) = ((width as f64 * 0.7) as u32, (height as f64 * 0.7) as u32);
        rgb = image::imageops::resize(&rgb, w.max(1), h.max(1), FilterType::Triangle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noisy(w: u32, h: u32) -> RgbaImage {
        RgbaImage::from_fn(w, h, |x, y| {
            let v = (x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)) as u8;
            image::Rgba([v, v.wrapping_mul(3), v.wrapping_mul(5), 255])
        })
    }

    #[test]
    fn a_big_noisy_screen_is_scaled_down_until_it_fits() {
        let shot = encode_to_fit(noisy(1600, 1000), 90, 100_000, false).unwrap();
        assert!(shot.jpeg.len() <= 100_000);
        assert!(shot.width < 1600 && shot.height < 1000);
        assert_eq!(&shot.jpeg[..3], &[0xFF, 0xD8, 0xFF], "a JPEG");
    }

    #[test]
    fn a_small_screen_keeps_its_size_and_quality_matters() {
        let low = encode_to_fit(noisy(200, 100), 50, 10_000_000, false).unwrap();
        let high = encode_to_fit(noisy(200, 100), 95, 10_000_000, false).unwrap();
        assert_eq!((low.width, low.height), (200, 100));
        assert!(high.jpeg.len() > low.jpeg.len());
    }

    /// Sharpness as the variance of the Laplacian of the grey picture (the usual focus
    /// measure): text and edges make it large, a blur makes it small.
    fn sharpness(jpeg: &[u8]) -> f64 {
        let grey = image::load_from_memory(jpeg).unwrap().to_luma8();
        let (w, h) = grey.dimensions();
        let at = |x: u32, y: u32| f64::from(grey.get_pixel(x, y).0[0]);
        let mut values = Vec::new();
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                values.push(
                    at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y),
                );
            }
        }
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64
    }

    /// A screen of black text-like strokes on white.
    fn text_like(w: u32, h: u32) -> RgbaImage {
        RgbaImage::from_fn(w, h, |x, y| {
            let ink = (y % 16 < 10) && (x % 7 < 3) && ((x / 7 + y / 16) % 5 != 0);
            let v = if ink { 20 } else { 235 };
            image::Rgba([v, v, v, 255])
        })
    }

    #[test]
    fn a_blurred_screenshot_keeps_its_size_and_loses_its_detail() {
        let sharp = encode_to_fit(text_like(960, 600), 85, 10_000_000, false).unwrap();
        let soft = encode_to_fit(text_like(960, 600), 85, 10_000_000, true).unwrap();
        assert_eq!((soft.width, soft.height), (960, 600));
        let (a, b) = (sharpness(&sharp.jpeg), sharpness(&soft.jpeg));
        assert!(b * 50.0 < a, "sharp {a:.1}, blurred {b:.1}");
    }
}
