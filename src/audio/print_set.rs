//! A set of prints for the mastering engineer (`headroom render --stems`): the mix, the copy
//! without master processing and the chosen buses as stems, all from one pass and lined up
//! sample for sample, in a dated folder of their own with a text report of each file's levels.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::offline::{Format, Print, RenderError, RenderOptions, RenderReport, render_prints};
use crate::files::names::file_name;
use crate::session::load::Loaded;
use crate::session::resolve::mix_setup;
use crate::session::schema::SessionDoc;
use crate::session::target::{PeakTarget, Verdict};

/// The buses named (by name, or `all`; none named: all), in layout order.
pub fn choose_buses(doc: &SessionDoc, names: &[String]) -> Result<Vec<usize>, RenderError> {
    let all = ["all".to_string()];
    doc.buses_named(if names.is_empty() { &all } else { names })
        .map_err(|e| RenderError::Options(format!("--stems: {e}")))
}

/// One file of the set, where it is and what it measured.
pub struct Printed {
    pub path: PathBuf,
    pub print: Print,
    pub report: RenderReport,
}

/// Renders the set into `folder` (which must not exist): it appears there complete, or not
/// at all. Returns the files in the order the report lists them, and the report's text
/// (also written beside them as `<folder name>-report.txt`).
pub fn render_set(
    loaded: &Loaded,
    folder: &Path,
    buses: &[usize],
    opts: &RenderOptions,
    progress: &mut dyn FnMut(f64),
) -> Result<(Vec<Printed>, String), RenderError> {
    let base = folder.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let partial = folder.with_file_name(format!(".{base}.partial"));
    let made = |e: std::io::Error| RenderError::Write { path: partial.clone(), source: hound::Error::IoError(e) };
    // A set left half made by a render that was killed is nobody's: start it again.
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(made)?;
    }
    std::fs::create_dir_all(&partial).map_err(made)?;
    let mut prints =
        vec![(format!("{base}.wav"), Print::Mix), (format!("{base}-no-master-fx.wav"), Print::WithoutMasterFx)];
    for &b in buses {
        prints.push((format!("{base}-stem-{}.wav", file_name(&loaded.doc.buses[b].name)), Print::Bus(b)));
    }
    let in_partial: Vec<(PathBuf, Print)> = prints.iter().map(|(name, print)| (partial.join(name), *print)).collect();
    let rendered = render_prints(loaded, &mix_setup(&loaded.doc), &in_partial, opts, progress);
    let reports = match rendered {
        Ok(reports) => reports,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&partial);
            return Err(e);
        }
    };
    let printed: Vec<Printed> = prints
        .into_iter()
        .zip(reports)
        .map(|((name, print), report)| Printed { path: folder.join(name), print, report })
        .collect();
    let text = report_text(&loaded.doc, &printed, opts);
    let written = std::fs::write(partial.join(format!("{base}-report.txt")), &text)
        .and_then(|()| std::fs::rename(&partial, folder));
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(RenderError::Write { path: folder.to_path_buf(), source: hound::Error::IoError(e) });
    }
    Ok((printed, text))
}

/// The report: each file's peak, true peak, integrated loudness, range and clipped samples,
/// and where the two prints of the whole mix sit against the session's peak target.
pub fn report_text(doc: &SessionDoc, printed: &[Printed], opts: &RenderOptions) -> String {
    let mut text = String::new();
    let frames = printed.first().map_or(0, |p| p.report.frames);
    let _ = writeln!(
        text,
        "{}: {:.1} s at {} Hz, {}, printed by headroom {}",
        doc.name,
        frames as f64 / opts.sample_rate as f64,
        opts.sample_rate,
        format_name(opts.format),
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        text,
        "{:<44} {:>9} {:>9} {:>9} {:>7} {:>9}",
        "file", "peak dBFS", "TP dBTP", "I LUFS", "LRA LU", "clipped"
    );
    let db = |v: f64| if v.is_finite() { format!("{v:.2}") } else { "-inf".into() };
    let lufs = |v: f64| if v.is_finite() && v > -70.0 { format!("{v:.1}") } else { "-".into() };
    for p in printed {
        let name = p.path.file_name().unwrap_or_default().to_string_lossy();
        let (r, l) = (&p.report, &p.report.loudness);
        let _ = writeln!(
            text,
            "{name:<44} {:>9} {:>9} {:>9} {:>7.1} {:>9}",
            db(r.sample_peak_dbfs),
            db(l.true_peak_dbtp),
            lufs(l.integrated_lufs),
            l.range_lu,
            r.clipped_samples
        );
    }
    for p in printed.iter().filter(|p| !matches!(p.print, Print::Bus(_))) {
        let what = if p.print == Print::Mix { "the mix" } else { "without master processing" };
        let _ = writeln!(text, "{what}: {}", target_check(doc, p.report.sample_peak_dbfs));
    }
    text
}

/// Where a print's peak sits against the session's target, as a sentence.
pub fn target_check(doc: &SessionDoc, peak_dbfs: f64) -> String {
    let target = PeakTarget::of(doc.meters.peak_target_db);
    let range = format!("the session's peak target {} .. {} dBFS", target.low_db, target.high_db);
    match target.judge(peak_dbfs as f32, -200.0) {
        Verdict::Silent => format!("silent (no peak to judge against {range})"),
        Verdict::InRange => format!("peak {peak_dbfs:.2} dBFS, in range of {range}"),
        Verdict::Hot(over) => format!("peak {peak_dbfs:.2} dBFS, {over:.1} dB over {range}: hot"),
        Verdict::Low(under) => format!("peak {peak_dbfs:.2} dBFS, {:.1} dB under {range}: low", -under),
    }
}

pub fn format_name(format: Format) -> &'static str {
    match format {
        Format::Int16 => "16-bit",
        Format::Int24 => "24-bit",
        Format::Float32 => "32-bit float",
    }
}
