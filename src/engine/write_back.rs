//! The way back from parameter values to the session document, so a saved
//! session reopens sounding as it was left. The inverse of the declarations in
//! `channel.rs`: a parameter added there gets its line here.

use super::params::{ParamTable, ParamValues};
use crate::session::schema::{
    self, BAND_DEFAULTS, BandDoc, ChannelDoc, Db, DetectorDoc, MASTER, SessionDoc, note_value_ms,
};

/// `doc` with the values that changed since `loaded` written in. A changed value writes
/// its whole section (`hpf`, `eq.2`, `comp`, `send.Room`...) so that a section the file
/// did not have appears with every value as the engine plays it, not with file defaults.
pub fn doc_with_values(doc: &SessionDoc, table: &ParamTable, loaded: &ParamValues, values: &ParamValues) -> SessionDoc {
    let mut out = doc.clone();
    let specs = table.specs();
    let changed_sections: Vec<(usize, &str)> = specs
        .iter()
        .enumerate()
        .filter(|(i, _)| loaded.get_at(*i) != values.get_at(*i))
        .map(|(_, spec)| (spec.owner, section_of(split_id(&spec.id).1)))
        .collect();
    for (i, spec) in specs.iter().enumerate() {
        let (channel, suffix) = split_id(&spec.id);
        if !changed_sections.contains(&(spec.owner, section_of(suffix))) {
            continue;
        }
        let target = match channel {
            Channel::Strip(name) => out.strips.iter_mut().find(|c| c.name == name),
            Channel::Bus(name) => out.buses.iter_mut().find(|c| c.name == name),
            Channel::Master => Some(&mut out.master),
        };
        if let Some(target) = target {
            write_value(target, suffix, values.get_at(i), doc.tempo_bpm);
        }
    }
    out
}

enum Channel<'a> {
    Strip(&'a str),
    Bus(&'a str),
    Master,
}

/// `strip.Vocal.eq.2.gain` → (Strip("Vocal"), "eq.2.gain").
fn split_id(id: &str) -> (Channel<'_>, &str) {
    if let Some(rest) = id.strip_prefix(MASTER).and_then(|r| r.strip_prefix('.')) {
        return (Channel::Master, rest);
    }
    let (kind, rest) = id.split_once('.').unwrap_or((id, ""));
    let (name, suffix) = rest.split_once('.').unwrap_or((rest, ""));
    (if kind == "bus" { Channel::Bus(name) } else { Channel::Strip(name) }, suffix)
}

/// The part of a suffix that names its section: `eq.2.gain` → `eq.2`, `send.Room.pre` → `send.Room`,
/// `fader` → `fader`.
fn section_of(suffix: &str) -> &str {
    match suffix.split('.').collect::<Vec<_>>().as_slice() {
        ["send", bus, ..] => &suffix[..5 + bus.len()],
        [_] => suffix,
        _ => &suffix[..suffix.rfind('.').unwrap_or(suffix.len())],
    }
}

/// Writes one value into the channel's document.
fn write_value(doc: &mut ChannelDoc, suffix: &str, v: f32, tempo_bpm: f32) {
    let on = v >= 0.5;
    match suffix.split('.').collect::<Vec<_>>().as_slice() {
        ["trim"] => doc.trim_db = v,
        ["polarity"] => doc.polarity_invert = on,
        ["fader"] => doc.fader_db = Db(level_db(v)),
        ["pan"] => doc.pan = v,
        ["mute"] => doc.mute = on,
        ["solo"] => doc.solo = on,
        ["solo_safe"] => doc.solo_safe = Some(on),
        ["hpf", field] => {
            let hpf = doc.hpf.get_or_insert_with(Default::default);
            match *field {
                "freq" => hpf.freq_hz = v,
                "slope" => hpf.slope = if on { 24 } else { 12 },
                _ => hpf.enabled = on,
            }
        }
        ["eq", band, field] => {
            let Ok(n) = band.parse::<usize>() else { return };
            if doc.eq.len() < n {
                doc.eq.resize(n, BandDoc::default());
            }
            let (default_hz, default_q) = BAND_DEFAULTS[n - 1];
            let b = &mut doc.eq[n - 1];
            match *field {
                "freq" => b.freq_hz = (v != default_hz || b.freq_hz.is_some()).then_some(v),
                "gain" => b.gain_db = (v != 0.0 || b.gain_db.is_some()).then_some(v),
                "q" => b.q = (v != default_q || b.q.is_some()).then_some(v),
                _ => b.bypass = on,
            }
        }
        ["gate", field] => {
            let g = doc.gate.get_or_insert_with(Default::default);
            match *field {
                "threshold" => g.threshold_db = v,
                "range" => g.range_db = v,
                "ratio" => g.ratio = v,
                "attack" => g.attack_ms = v,
                "hold" => g.hold_ms = v,
                "release" => g.release_ms = v,
                _ => g.bypass = on,
            }
        }
        ["comp", field] => {
            let c = doc.comp.get_or_insert_with(Default::default);
            match *field {
                "threshold" => c.threshold_db = v,
                "ratio" => c.ratio = v,
                "knee" => c.knee_db = v,
                "attack" => c.attack_ms = v,
                "release" => c.release_ms = v,
                "makeup" => c.makeup_db = v,
                "detector" => c.detector = if on { DetectorDoc::Rms } else { DetectorDoc::Peak },
                _ => c.bypass = on,
            }
        }
        ["delay", field] => {
            let Some(d) = doc.delay.as_mut() else { return };
            match *field {
                "time" => {
                    // A time that no longer matches the synced note value was set by hand: drop the sync.
                    let synced = d.sync.as_deref().and_then(|n| note_value_ms(n, tempo_bpm));
                    if synced.is_some_and(|ms| (ms - v).abs() > 0.01) {
                        d.sync = None;
                    }
                    d.time_ms = v;
                }
                "feedback" => d.feedback = v,
                "damping" => d.damping_hz = v,
                _ => d.mix = v,
            }
        }
        ["reverb", field] => {
            let Some(r) = doc.reverb.as_mut() else { return };
            match *field {
                "size" => r.size = v,
                "damping" => r.damping = v,
                "width" => r.width = v,
                _ => r.mix = v,
            }
        }
        ["limiter", field] => {
            let l = doc.limiter.get_or_insert_with(|| schema::LimiterDoc { bypass: true, ..Default::default() });
            match *field {
                "ceiling" => l.ceiling_db = v,
                "release" => l.release_ms = v,
                _ => l.bypass = on,
            }
        }
        ["send", bus, rest @ ..] => {
            // Every strip can send to every bus; a send the file lacks is written once it is up
            // (its level comes first in the section, then `pre` and `mute` find it).
            let position = doc.sends.iter().position(|s| s.bus == *bus);
            let Some(i) = position.or_else(|| {
                (rest.is_empty() && v > super::params::FADER_FLOOR_DB).then(|| {
                    doc.sends.push(schema::SendDoc { bus: bus.to_string(), level_db: Db(v), pre: false, mute: false });
                    doc.sends.len() - 1
                })
            }) else {
                return;
            };
            let s = &mut doc.sends[i];
            match rest {
                [] => s.level_db = Db(level_db(v)),
                ["pre"] => s.pre = on,
                _ => s.mute = on,
            }
        }
        _ => {}
    }
}

/// Fader and send levels at the floor are saved as "-inf".
fn level_db(v: f32) -> f32 {
    if v <= super::params::FADER_FLOOR_DB { f32::NEG_INFINITY } else { v }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::session::load;
    use std::path::Path;

    fn demo() -> SessionDoc {
        load::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/layouts/demo.yaml"))).unwrap().doc
    }

    #[test]
    fn unchanged_values_leave_the_document_as_it_was() {
        let doc = demo();
        let built = Engine::build(&doc, 48_000.0, 0).unwrap();
        assert_eq!(doc_with_values(&doc, &built.params, &built.values, &built.values), doc);
    }

    #[test]
    fn every_changed_value_reopens_as_it_was_set() {
        let doc = demo();
        let built = Engine::build(&doc, 48_000.0, 0).unwrap();
        let mut values = built.values.clone();
        // Move every parameter somewhere else in its range (except the sends between buses:
        // opening all of them would make loops, which are refused).
        for (i, spec) in built.params.specs().iter().enumerate() {
            if spec.id.starts_with("bus.") && spec.id.contains(".send.") {
                continue;
            }
            let v =
                if spec.is_discrete() { spec.max - values.get_at(i) } else { spec.min + 0.37 * (spec.max - spec.min) };
            values.set_at(i, spec.constrain(v));
        }
        let saved = doc_with_values(&doc, &built.params, &built.values, &values);
        let reopened = Engine::build(&saved, 48_000.0, 0).unwrap();
        for (i, spec) in built.params.specs().iter().enumerate() {
            let (want, got) = (values.get_at(i), reopened.values.get_at(i));
            assert!((want - got).abs() < 1e-4, "{}: set {want}, reopened {got}", spec.id);
        }
    }

    #[test]
    fn a_section_the_file_lacked_is_written_whole() {
        let doc = demo();
        assert!(doc.strips[2].gate.is_none(), "Keys has no gate in the demo");
        let built = Engine::build(&doc, 48_000.0, 0).unwrap();
        let mut values = built.values.clone();
        values.set(built.params.lookup("strip.Keys.gate.bypass").unwrap(), 0.0);
        let saved = doc_with_values(&doc, &built.params, &built.values, &values);
        let gate = saved.strips[2].gate.expect("gate written");
        assert!(!gate.bypass);
        assert_eq!(saved.strips[2].hpf, doc.strips[2].hpf, "other sections untouched");
    }
}
