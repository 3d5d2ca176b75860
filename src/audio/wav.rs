//! Reading stems from WAV files. hound parses and checks the header; samples
//! are then read straight from the data chunk at any frame (positional reads,
//! no seek state), which is several times faster than a per-sample iterator
//! and lets the disk thread serve 64 stems faster than real time.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::files::read::ReadError;

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
    /// Integers in four bytes: 32-bit, or fewer valid bits left-justified (as the WAVE
    /// format says: the low bits are zero), which read the same.
    Int32,
    /// 24 valid bits in the low three bytes of four, the top one extending the sign (as some
    /// writers, hound among them, put them).
    Int24Low,
    Float32,
}

impl Encoding {
    fn bytes(self) -> usize {
        match self {
            Encoding::Int16 => 2,
            Encoding::Int24 => 3,
            Encoding::Int32 | Encoding::Int24Low | Encoding::Float32 => 4,
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
        let file = crate::files::read::open_plain(path).map_err(|e| match e {
            e if e.not_found() => StemError::Missing { path: path.to_path_buf() },
            ReadError::Io(e) => io(e),
            other => io(std::io::Error::other(other.to_string())),
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
        // hound leaves the file positioned at the first sample.
        let mut file = reader.into_inner();
        let data_start = file.stream_position().map_err(io)?;
        let container = container_bytes(&mut file, spec.channels).map_err(io)?;
        let not_wav = |detail: String| StemError::NotWav { path: path.to_path_buf(), detail };
        let encoding = match (spec.sample_format, spec.bits_per_sample, container) {
            (hound::SampleFormat::Int, 9..=16, 2) => Encoding::Int16,
            (hound::SampleFormat::Int, 17..=24, 3) => Encoding::Int24,
            (hound::SampleFormat::Int, 24, 4) => justification_of_24_in_32(&file, data_start, size).map_err(|e| match e {
                Justified::Neither => not_wav(
                    "24-bit samples in 32-bit containers, neither left-justified (low byte zero) nor right-justified (top byte the sign)"
                        .into(),
                ),
                Justified::Io(e) => io(e),
            })?,
            (hound::SampleFormat::Int, 17..=32, 4) => Encoding::Int32,
            (hound::SampleFormat::Float, 32, 4) => Encoding::Float32,
            (format, bits, container) => {
                let format = if format == hound::SampleFormat::Int { "integer" } else { "float" };
                return Err(not_wav(format!("{bits}-bit {format} samples in {}-bit containers", container * 8)));
            }
        };
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
            Encoding::Int24Low => decode_frames::<4>(bytes, out, available, |b| {
                (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 / 8_388_608.0
            }),
            Encoding::Float32 => decode_frames::<4>(bytes, out, available, |b| f32::from_le_bytes(*b)),
        }
        Ok(())
    }
}

/// The bytes each sample is stored in (the fmt chunk's block align over its channels),
/// which hound reads but does not tell. Leaves the file where it was.
fn container_bytes(file: &mut File, channels: u16) -> std::io::Result<u16> {
    let mut header = [0u8; 12];
    file.read_exact_at(&mut header, 0)?;
    // Chunks after the 12-byte RIFF header, each an id, a size and a body padded to an even
    // length; hound found a fmt chunk before the data, so one is there.
    let mut at = 12u64;
    loop {
        let mut chunk = [0u8; 8];
        file.read_exact_at(&mut chunk, at)?;
        let size = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]) as u64;
        if &chunk[..4] == b"fmt " {
            // Tag, channels, rate, bytes a second, then the block align.
            let mut block_align = [0u8; 2];
            file.read_exact_at(&mut block_align, at + 8 + 12)?;
            return Ok(u16::from_le_bytes(block_align) / channels.max(1));
        }
        at += 8 + size + (size & 1);
    }
}

enum Justified {
    Neither,
    Io(std::io::Error),
}

/// Bytes read at each of several places in the file to learn how its samples are laid out.
const JUSTIFICATION_PROBE_BYTES: usize = 64 << 10;

/// How 24-bit samples sit in 32-bit containers, from what the file holds at a few places:
/// low bytes all zero is left-justified (`Int32`), top bytes all the sign of bit 23 is
/// right-justified (`Int24Low`). Quiet left-justified audio has sign-like top bytes too,
/// so zero low bytes decide first.
fn justification_of_24_in_32(file: &File, data_start: u64, size: u64) -> Result<Encoding, Justified> {
    let data = size.saturating_sub(data_start) / 4 * 4;
    let mut bytes = vec![0u8; JUSTIFICATION_PROBE_BYTES];
    let (mut low_zero, mut top_is_sign) = (true, true);
    for place in 0..8u64 {
        let at = (data * place / 8) / 4 * 4;
        let len = (data - at).min(bytes.len() as u64) as usize;
        file.read_exact_at(&mut bytes[..len], data_start + at).map_err(Justified::Io)?;
        for sample in bytes[..len].chunks_exact(4) {
            low_zero &= sample[0] == 0;
            top_is_sign &= sample[3] == if sample[2] & 0x80 == 0 { 0 } else { 0xff };
        }
    }
    match (low_zero, top_is_sign) {
        (true, _) => Ok(Encoding::Int32),
        (false, true) => Ok(Encoding::Int24Low),
        (false, false) => Err(Justified::Neither),
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
/// rounded and clipped (no dither: that is the mastering engineer's call), the clipped ones
/// counted.
pub struct SampleSink {
    float: bool,
    scale: f32,
    max: i32,
    /// Samples an integer format could not hold, written at full scale instead.
    pub clipped: u64,
}

impl SampleSink {
    pub fn new(spec: hound::WavSpec) -> Self {
        let bits = spec.bits_per_sample as i32;
        let full = (1i64 << (bits - 1)) as f32;
        Self {
            float: spec.sample_format == hound::SampleFormat::Float,
            scale: full,
            max: ((1i64 << (bits - 1)) - 1) as i32,
            clipped: 0,
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
            let scaled = (sample as f64 * self.scale as f64).round();
            let (lowest, highest) = (-(self.max as f64) - 1.0, self.max as f64);
            if !(lowest..=highest).contains(&scaled) {
                self.clipped += 1;
            }
            w.write_sample(scaled.clamp(lowest, highest) as i32)
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

    /// A WAVE_FORMAT_EXTENSIBLE file of 24 valid bits in 32-bit containers, as DAWs write
    /// them: `place` puts each 24-bit sample in its container.
    fn extensible_24_in_32(path: &Path, samples: &[i32], place: impl Fn(i32) -> u32) {
        let mut fmt = Vec::new();
        fmt.extend(0xfffe_u16.to_le_bytes()); // WAVE_FORMAT_EXTENSIBLE
        fmt.extend(1u16.to_le_bytes());
        fmt.extend(48_000u32.to_le_bytes());
        fmt.extend((48_000u32 * 4).to_le_bytes());
        fmt.extend(4u16.to_le_bytes()); // block align: one 4-byte container
        fmt.extend(32u16.to_le_bytes()); // container bits
        fmt.extend(22u16.to_le_bytes());
        fmt.extend(24u16.to_le_bytes()); // valid bits
        fmt.extend(4u32.to_le_bytes()); // front centre
        fmt.extend([1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71]); // PCM
        let data: Vec<u8> = samples.iter().flat_map(|&v| place(v).to_le_bytes()).collect();
        let mut file = b"RIFF".to_vec();
        file.extend((4 + 8 + fmt.len() as u32 + 8 + data.len() as u32).to_le_bytes());
        file.extend(b"WAVEfmt ");
        file.extend((fmt.len() as u32).to_le_bytes());
        file.extend(fmt);
        file.extend(b"data");
        file.extend((data.len() as u32).to_le_bytes());
        file.extend(data);
        std::fs::write(path, file).unwrap();
    }

    #[test]
    fn twenty_four_bits_in_32_bit_containers_read_true_either_way_they_are_justified() {
        let dir = tempfile::tempdir().unwrap();
        // A 1 kHz sine at -1 dBFS, and a quiet one at -80 dBFS (whose top bytes look like a sign).
        for amplitude in [0.891, 1e-4] {
            let sine: Vec<f64> =
                (0..48_000).map(|i| amplitude * (i as f64 * std::f64::consts::TAU * 1000.0 / 48_000.0).sin()).collect();
            let ints: Vec<i32> = sine.iter().map(|v| (v * 8_388_608.0).round() as i32).collect();
            for (name, place) in [("left", (|v: i32| (v << 8) as u32) as fn(i32) -> u32), ("right", |v| v as u32)] {
                let path = dir.path().join(format!("{name}.wav"));
                extensible_24_in_32(&path, &ints, place);
                let mut stem = WavStem::open(&path, 48_000).unwrap();
                assert_eq!(stem.frames(), 48_000);
                let mut read = vec![0.0f32; 48_000];
                stem.read_planar(0, &mut [&mut read]).unwrap();
                let worst = read.iter().zip(&sine).map(|(r, s)| (*r as f64 - s).abs()).fold(0.0, f64::max);
                assert!(worst < 1.0 / 8_388_608.0, "{name}-justified at {amplitude}: strays {worst}");
            }
        }
    }

    #[test]
    fn containers_holding_neither_layout_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd.wav");
        let noise: Vec<i32> = (0..4800).map(|i| (i * 7919) % 8_000_000 - 4_000_000).collect();
        extensible_24_in_32(&path, &noise, |v| (v as u32) ^ 0x5500_0001);
        let err = WavStem::open(&path, 48_000).unwrap_err().to_string();
        assert!(
            err.contains("odd.wav: not a WAV file we can read (24-bit samples in 32-bit containers, neither"),
            "{err}"
        );
    }
}
