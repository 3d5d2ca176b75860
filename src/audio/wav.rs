//! Reading stems from WAV files. hound parses and checks the header; samples
//! are then read straight from the data chunk at any frame (positional reads,
//! no seek state), which is several times faster than a per-sample iterator
//! and lets the disk thread serve 64 stems faster than real time.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StemError {
    #[error("{}: file not found", path.display())]
    Missing { path: PathBuf },
    #[error("{}: cannot read: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: not a WAV file we can read ({detail}); expected 16/24/32-bit integer or 32-bit float PCM WAV", path.display())]
    NotWav { path: PathBuf, detail: String },
    #[error("{}: truncated: the header announces {announced} frames but the file holds {present}", path.display())]
    Truncated { path: PathBuf, announced: u64, present: u64 },
    #[error("{}: sample rate is {file_rate} Hz but the JACK server runs at {server_rate} Hz; resample the file (e.g. `sox in.wav -r {server_rate} out.wav`)", path.display())]
    RateMismatch { path: PathBuf, file_rate: u32, server_rate: u32 },
    #[error("{}: {channels} channels; a strip takes mono or stereo files", path.display())]
    Channels { path: PathBuf, channels: u16 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Int16,
    Int24,
    Int32,
    Float32,
}

impl Encoding {
    fn bytes(self) -> usize {
        match self {
            Encoding::Int16 => 2,
            Encoding::Int24 => 3,
            Encoding::Int32 | Encoding::Float32 => 4,
        }
    }
}

#[derive(Debug)]
pub struct WavStem {
    path: PathBuf,
    file: File,
    data_start: u64,
    frames: u64,
    channels: usize,
    encoding: Encoding,
    bytes: Vec<u8>,
}

impl WavStem {
    /// Opens and checks a stem; `expected_rate` is the rate it will be played at.
    pub fn open(path: &Path, expected_rate: u32) -> Result<WavStem, StemError> {
        let io = |source: std::io::Error| StemError::Io { path: path.to_path_buf(), source };
        let file = File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StemError::Missing { path: path.to_path_buf() },
            _ => io(e),
        })?;
        let size = file.metadata().map_err(io)?.len();
        let reader = hound::WavReader::new(file).map_err(|e| match e {
            hound::Error::IoError(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {
                StemError::NotWav { path: path.to_path_buf(), detail: "the header ends early".into() }
            }
            hound::Error::IoError(err) => io(err),
            other => StemError::NotWav { path: path.to_path_buf(), detail: other.to_string() },
        })?;
        let spec = reader.spec();
        let frames = reader.duration() as u64;
        let encoding = match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Int, 16) => Encoding::Int16,
            (hound::SampleFormat::Int, 24) => Encoding::Int24,
            (hound::SampleFormat::Int, 32) => Encoding::Int32,
            (hound::SampleFormat::Float, 32) => Encoding::Float32,
            (format, bits) => {
                return Err(StemError::NotWav {
                    path: path.to_path_buf(),
                    detail: format!("{bits}-bit {format:?} samples"),
                });
            }
        };
        // hound leaves the file positioned at the first sample.
        let mut file = reader.into_inner();
        let data_start = file.stream_position().map_err(io)?;
        let frame_bytes = encoding.bytes() as u64 * spec.channels as u64;
        let present = size.saturating_sub(data_start) / frame_bytes;
        if present < frames {
            return Err(StemError::Truncated { path: path.to_path_buf(), announced: frames, present });
        }
        if spec.sample_rate != expected_rate {
            return Err(StemError::RateMismatch {
                path: path.to_path_buf(),
                file_rate: spec.sample_rate,
                server_rate: expected_rate,
            });
        }
        if spec.channels == 0 || spec.channels > 2 {
            return Err(StemError::Channels { path: path.to_path_buf(), channels: spec.channels });
        }
        file.seek(SeekFrom::Start(data_start)).map_err(io)?;
        Ok(WavStem {
            path: path.to_path_buf(),
            file,
            data_start,
            frames,
            channels: spec.channels as usize,
            encoding,
            bytes: Vec::new(),
        })
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads frames `start..start + len` into planar `out` (one slice a file channel),
    /// with silence past the end of the file.
    pub fn read_planar(&mut self, start: u64, out: &mut [&mut [f32]]) -> std::io::Result<()> {
        let len = out[0].len();
        let available = self.frames.saturating_sub(start).min(len as u64) as usize;
        for ch in out.iter_mut() {
            ch[available..].fill(0.0);
        }
        if available == 0 {
            return Ok(());
        }
        let sample_bytes = self.encoding.bytes();
        let frame_bytes = sample_bytes * self.channels;
        self.bytes.resize(available * frame_bytes, 0);
        self.file.read_exact_at(&mut self.bytes, self.data_start + start * frame_bytes as u64)?;
        // One tight loop per encoding, decoding every channel of a frame together: the decoder
        // is chosen once per read, not per sample.
        let bytes = &self.bytes[..];
        #[cfg(target_arch = "x86_64")]
        if self.encoding == Encoding::Int24 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is present (checked just above).
            unsafe { simd::decode_int24_avx2(bytes, out, available) };
            return Ok(());
        }
        #[cfg(target_arch = "x86_64")]
        if self.encoding == Encoding::Int24 && std::arch::is_x86_feature_detected!("ssse3") {
            // SAFETY: SSSE3 is present (checked just above).
            unsafe { simd::decode_int24(bytes, out, available) };
            return Ok(());
        }
        match self.encoding {
            Encoding::Int16 => decode_frames::<2>(bytes, out, available, |b| i16::from_le_bytes(*b) as f32 / 32_768.0),
            Encoding::Int24 => decode_frames::<3>(bytes, out, available, |b| {
                (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0
            }),
            Encoding::Int32 => {
                decode_frames::<4>(bytes, out, available, |b| i32::from_le_bytes(*b) as f32 / 2_147_483_648.0)
            }
            Encoding::Float32 => decode_frames::<4>(bytes, out, available, |b| f32::from_le_bytes(*b)),
        }
        Ok(())
    }
}

/// 24-bit decoding four samples at a time (eight with AVX2): a byte shuffle puts each
/// sample in the top of a 32-bit lane, an arithmetic shift sign-extends it, one multiply
/// scales it.
#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    /// Byte i of a lane takes source byte SPREAD[i]; -128 (0x80) makes a zero.
    const SPREAD: [i8; 16] = [-128, 0, 1, 2, -128, 3, 4, 5, -128, 6, 7, 8, -128, 9, 10, 11];

    /// The sixteen bytes at `at`, as a vector.
    #[target_feature(enable = "ssse3")]
    #[inline]
    fn sixteen_bytes(bytes: &[u8], at: usize) -> __m128i {
        let chunk: [u8; 16] = bytes[at..at + 16].try_into().expect("sixteen bytes");
        // SAFETY: __m128i is sixteen bytes.
        unsafe { std::mem::transmute::<[u8; 16], __m128i>(chunk) }
    }

    /// Four samples from the 16 bytes at `at` (the last four are not used).
    #[target_feature(enable = "ssse3")]
    #[inline]
    fn four_samples(bytes: &[u8], at: usize) -> __m128 {
        // SAFETY: __m128i is sixteen bytes.
        let spread = unsafe { std::mem::transmute::<[i8; 16], __m128i>(SPREAD) };
        let ints = _mm_srai_epi32::<8>(_mm_shuffle_epi8(sixteen_bytes(bytes, at), spread));
        _mm_mul_ps(_mm_cvtepi32_ps(ints), _mm_set1_ps(1.0 / 8_388_608.0))
    }

    /// Eight samples from the 28 bytes at `at`: the same shuffle in each half of the register.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn eight_samples(bytes: &[u8], at: usize) -> __m256 {
        // SAFETY: __m128i is sixteen bytes.
        let spread = unsafe { std::mem::transmute::<[i8; 16], __m128i>(SPREAD) };
        let raw = _mm256_set_m128i(sixteen_bytes(bytes, at + 12), sixteen_bytes(bytes, at));
        let ints = _mm256_srai_epi32::<8>(_mm256_shuffle_epi8(raw, _mm256_set_m128i(spread, spread)));
        _mm256_mul_ps(_mm256_cvtepi32_ps(ints), _mm256_set1_ps(1.0 / 8_388_608.0))
    }

    fn lanes8(v: __m256) -> [f32; 8] {
        // SAFETY: __m256 is eight f32 lanes.
        unsafe { std::mem::transmute::<__m256, [f32; 8]>(v) }
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn decode_int24_avx2(bytes: &[u8], out: &mut [&mut [f32]], frames: usize) {
        let samples = frames * out.len();
        let mut done = 0; // samples decoded
        match out {
            [mono] => {
                while done + 8 <= samples && done * 3 + 28 <= bytes.len() {
                    mono[done..done + 8].copy_from_slice(&lanes8(eight_samples(bytes, done * 3)));
                    done += 8;
                }
            }
            [left, right] => {
                // Sixteen samples, eight frames: the even lanes are left, the odd right; the
                // shuffle works within each half, the permute puts the halves in order.
                while done + 16 <= samples && done * 3 + 52 <= bytes.len() {
                    let (a, b) = (eight_samples(bytes, done * 3), eight_samples(bytes, done * 3 + 24));
                    let frame = done / 2;
                    let l = _mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(
                        _mm256_shuffle_ps::<0b10_00_10_00>(a, b),
                    ));
                    let r = _mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(
                        _mm256_shuffle_ps::<0b11_01_11_01>(a, b),
                    ));
                    left[frame..frame + 8].copy_from_slice(&lanes8(_mm256_castpd_ps(l)));
                    right[frame..frame + 8].copy_from_slice(&lanes8(_mm256_castpd_ps(r)));
                    done += 16;
                }
            }
            _ => unreachable!("stems are mono or stereo (checked when opened)"),
        }
        decode_tail(bytes, out, done, samples);
    }

    fn lanes(v: __m128) -> [f32; 4] {
        // SAFETY: __m128 is four f32 lanes.
        unsafe { std::mem::transmute::<__m128, [f32; 4]>(v) }
    }

    #[target_feature(enable = "ssse3")]
    pub(super) fn decode_int24(bytes: &[u8], out: &mut [&mut [f32]], frames: usize) {
        let samples = frames * out.len();
        let mut done = 0; // samples decoded
        match out {
            [mono] => {
                // Each step reads 16 bytes: stop while that many remain.
                while done + 4 <= samples && done * 3 + 16 <= bytes.len() {
                    mono[done..done + 4].copy_from_slice(&lanes(four_samples(bytes, done * 3)));
                    done += 4;
                }
            }
            [left, right] => {
                while done + 8 <= samples && done * 3 + 28 <= bytes.len() {
                    let (a, b) = (four_samples(bytes, done * 3), four_samples(bytes, done * 3 + 12));
                    let frame = done / 2;
                    left[frame..frame + 4].copy_from_slice(&lanes(_mm_shuffle_ps::<0b10_00_10_00>(a, b)));
                    right[frame..frame + 4].copy_from_slice(&lanes(_mm_shuffle_ps::<0b11_01_11_01>(a, b)));
                    done += 8;
                }
            }
            _ => unreachable!("stems are mono or stereo (checked when opened)"),
        }
        decode_tail(bytes, out, done, samples);
    }

    /// Samples `from..samples` (interleaved numbering), one by one.
    fn decode_tail(bytes: &[u8], out: &mut [&mut [f32]], from: usize, samples: usize) {
        let channels = out.len();
        for i in from..samples {
            let b = &bytes[i * 3..i * 3 + 3];
            out[i % channels][i / channels] = (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0;
        }
    }
}

/// Decodes `frames` interleaved frames of N-byte samples into one or two planar channels.
#[inline(always)]
fn decode_frames<const N: usize>(
    bytes: &[u8],
    out: &mut [&mut [f32]],
    frames: usize,
    decode: impl Fn(&[u8; N]) -> f32,
) {
    let (samples, _) = bytes.as_chunks::<N>();
    match out {
        [mono] => {
            for (o, b) in mono[..frames].iter_mut().zip(samples) {
                *o = decode(b);
            }
        }
        [left, right] => {
            for ((l, r), pair) in left[..frames].iter_mut().zip(right[..frames].iter_mut()).zip(samples.chunks_exact(2))
            {
                *l = decode(&pair[0]);
                *r = decode(&pair[1]);
            }
        }
        _ => unreachable!("stems are mono or stereo (checked when opened)"),
    }
}

/// Writes interleaved float frames as a WAV file (32-bit float or 16/24-bit integer).
pub fn write_wav(
    path: &Path,
    channels: u16,
    sample_rate: u32,
    bits: u16,
    float: bool,
    samples: &[f32],
) -> Result<(), hound::Error> {
    let spec = hound::WavSpec {
        channels,
        sample_rate,
        bits_per_sample: bits,
        sample_format: if float { hound::SampleFormat::Float } else { hound::SampleFormat::Int },
    };
    let mut w = hound::WavWriter::create(path, spec)?;
    let mut sink = SampleSink::new(spec);
    for &s in samples {
        sink.write(&mut w, s)?;
    }
    w.finalize()
}

/// Converts float samples to the writer's format: float as is, integers scaled,
/// rounded and clipped (no dither: that is the mastering engineer's call).
pub struct SampleSink {
    float: bool,
    scale: f32,
    max: i32,
}

impl SampleSink {
    pub fn new(spec: hound::WavSpec) -> Self {
        let bits = spec.bits_per_sample as i32;
        let full = (1i64 << (bits - 1)) as f32;
        Self {
            float: spec.sample_format == hound::SampleFormat::Float,
            scale: full,
            max: ((1i64 << (bits - 1)) - 1) as i32,
        }
    }

    pub fn write<W: std::io::Write + std::io::Seek>(
        &mut self,
        w: &mut hound::WavWriter<W>,
        sample: f32,
    ) -> Result<(), hound::Error> {
        if self.float {
            w.write_sample(sample)
        } else {
            let v = (sample as f64 * self.scale as f64).round().clamp(-(self.max as f64) - 1.0, self.max as f64) as i32;
            w.write_sample(v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(frames: usize, channels: usize) -> Vec<f32> {
        (0..frames * channels).map(|i| ((i % 200) as f32 / 100.0 - 1.0) * 0.9).collect()
    }

    #[test]
    fn every_supported_encoding_reads_back_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        for (bits, float, tolerance) in
            [(16, false, 1.0 / 32_768.0), (24, false, 1.0 / 8_388_608.0), (32, false, 1e-7), (32, true, 0.0)]
        {
            for channels in [1usize, 2] {
                let path = dir.path().join(format!("{bits}-{float}-{channels}.wav"));
                let data = ramp(1000, channels);
                write_wav(&path, channels as u16, 48_000, bits, float, &data).unwrap();
                let mut stem = WavStem::open(&path, 48_000).unwrap();
                assert_eq!((stem.frames(), stem.channels()), (1000, channels));
                let mut planar = vec![vec![0.0f32; 300]; channels];
                let mut slices: Vec<&mut [f32]> = planar.iter_mut().map(|v| v.as_mut_slice()).collect();
                stem.read_planar(800, &mut slices).unwrap();
                for ch in 0..channels {
                    for f in 0..200 {
                        let want = data[(800 + f) * channels + ch];
                        assert!((planar[ch][f] - want).abs() <= tolerance, "{bits} {float} ch{ch} f{f}");
                    }
                    assert!(planar[ch][200..].iter().all(|&x| x == 0.0), "silence past the end");
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_sse_and_avx_24_bit_decoders_agree_with_the_plain_one_for_every_top_byte() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        // Sample s has top byte s % 256 (every sign and magnitude, the extremes included) and
        // scrambled low bytes.
        let bytes: Vec<u8> = (0..1000u32)
            .flat_map(|s| {
                let low = s.wrapping_mul(2_654_435_761) >> 13;
                [low as u8, (low >> 8) as u8, s as u8]
            })
            .collect();
        for channels in [1usize, 2] {
            let frames = 1000 / channels;
            let decoded = |decode: &dyn Fn(&mut [&mut [f32]])| {
                let mut planar = vec![vec![0.0f32; frames]; channels];
                decode(&mut planar.iter_mut().map(|v| v.as_mut_slice()).collect::<Vec<_>>());
                planar
            };
            let plain = decoded(&|out| {
                decode_frames::<3>(&bytes, out, frames, |b| {
                    (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0
                })
            });
            // SAFETY: AVX2 (and so SSSE3) is present (checked above).
            let sse = decoded(&|out| unsafe { simd::decode_int24(&bytes, out, frames) });
            // SAFETY: as above.
            let avx = decoded(&|out| unsafe { simd::decode_int24_avx2(&bytes, out, frames) });
            assert_eq!(sse, plain, "{channels} channels, SSSE3");
            assert_eq!(avx, plain, "{channels} channels, AVX2");
        }
    }

    #[test]
    fn reads_of_every_length_decode_every_sample() {
        // The 24-bit decoder works four or eight samples at a time (sixteen in stereo with
        // AVX2): lengths around those must not drop any.
        let dir = tempfile::tempdir().unwrap();
        for channels in [1usize, 2] {
            let path = dir.path().join(format!("short-{channels}.wav"));
            let data = ramp(64, channels);
            write_wav(&path, channels as u16, 48_000, 24, false, &data).unwrap();
            let mut stem = WavStem::open(&path, 48_000).unwrap();
            for len in 1..40 {
                let mut planar = vec![vec![9.0f32; len]; channels];
                let mut slices: Vec<&mut [f32]> = planar.iter_mut().map(|v| v.as_mut_slice()).collect();
                stem.read_planar(3, &mut slices).unwrap();
                for ch in 0..channels {
                    for f in 0..len {
                        let want = data[(3 + f) * channels + ch];
                        assert!(
                            (planar[ch][f] - want).abs() <= 1.0 / 8_388_608.0,
                            "{channels} ch, len {len}, frame {f}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn bad_files_are_named_with_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.wav");
        assert!(WavStem::open(&missing, 48_000).unwrap_err().to_string().ends_with("nope.wav: file not found"));

        let text = dir.path().join("notes.wav");
        std::fs::write(&text, "these are not samples").unwrap();
        let err = WavStem::open(&text, 48_000).unwrap_err().to_string();
        assert!(err.contains("notes.wav: not a WAV file"), "{err}");

        let good = dir.path().join("good.wav");
        write_wav(&good, 2, 44_100, 16, false, &ramp(5000, 2)).unwrap();
        let err = WavStem::open(&good, 48_000).unwrap_err().to_string();
        assert!(err.contains("good.wav: sample rate is 44100 Hz but the JACK server runs at 48000 Hz"), "{err}");

        let bytes = std::fs::read(&good).unwrap();
        let cut = dir.path().join("cut.wav");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let err = WavStem::open(&cut, 44_100).unwrap_err().to_string();
        assert!(err.contains("cut.wav: truncated: the header announces 5000 frames"), "{err}");
    }
}
