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

/// Encodes at `quality`, halving the pixel count step by step until it fits `max_bytes`.
pub fn encode_to_fit(
    image: RgbaImage,
    quality: u8,
    max_bytes: usize,
) -> Result<Shot, CaptureError> {
    let mut rgb: RgbImage = DynamicImage::ImageRgba8(image).to_rgb8();
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
        let shot = encode_to_fit(noisy(1600, 1000), 90, 100_000).unwrap();
        assert!(shot.jpeg.len() <= 100_000);
        assert!(shot.width < 1600 && shot.height < 1000);
        assert_eq!(&shot.jpeg[..3], &[0xFF, 0xD8, 0xFF], "a JPEG");
    }

    #[test]
    fn a_small_screen_keeps_its_size_and_quality_matters() {
        let low = encode_to_fit(noisy(200, 100), 50, 10_000_000).unwrap();
        let high = encode_to_fit(noisy(200, 100), 95, 10_000_000).unwrap();
        assert_eq!((low.width, low.height), (200, 100));
        assert!(high.jpeg.len() > low.jpeg.len());
    }
}
