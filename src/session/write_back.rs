//! The way back from parameter values to the session document, so a saved session
//! reopens sounding as it was left: the inverse of `resolve`, by the same tables.

use std::collections::HashSet;

use super::resolve::{encode, synced_delay_ms};
use super::schema::{ChannelDoc, SessionDoc};
use crate::engine::params::{ParamSpec, ParamTable, ParamValues, Role, Section};

/// `doc` with the values that changed since `loaded` written in. A changed value writes
/// its section (`hpf`, `eq.2`, `comp`, `send.Room`...): a section the file lacked is
/// written whole, one it had keeps its keys and gains those now off their defaults.
pub fn doc_with_values(doc: &SessionDoc, table: &ParamTable, loaded: &ParamValues, values: &ParamValues) -> SessionDoc {
    let mut out = doc.clone();
    let bus_names: Vec<&str> = doc.buses.iter().map(|b| b.name.as_str()).collect();
    let specs = table.specs();
    let changed: HashSet<(usize, Section)> = specs
        .iter()
        .enumerate()
        .filter(|(i, _)| loaded.get_at(*i) != values.get_at(*i))
        .map(|(_, spec)| (spec.owner, spec.section))
        .collect();
    for (i, spec) in specs.iter().enumerate() {
        if !changed.contains(&(spec.owner, spec.section)) {
            continue;
        }
        let value = values.get_at(i);
        let was = channel_of(doc, spec.owner).section(spec.section, &bus_names);
        // A send the file lacks is written once it is up (its level comes first in the section).
        if was.is_none() && matches!(spec.section, Section::Send(_)) && !send_is_up(specs, values, spec) {
            continue;
        }
        let section = channel_of_mut(&mut out, spec.owner).section_mut(spec.section, &bus_names);
        if spec.section == Section::Delay && spec.key == "time" {
            // A time that no longer matches the synced note value was set by hand: drop the sync.
            match synced_delay_ms(section, doc.tempo_bpm) {
                Some(ms) if (ms - value).abs() <= 0.01 => continue,
                Some(_) => section.remove("sync"),
                None => {}
            }
        }
        let had_key = was.is_some_and(|s| s.get(spec.file_key).is_some());
        if was.is_none() || had_key || value != spec.default {
            section.set(spec.file_key, encode(spec.def, value));
        }
    }
    out
}

/// Whether the send `spec` belongs to has its level above -inf.
fn send_is_up(specs: &[ParamSpec], values: &ParamValues, spec: &ParamSpec) -> bool {
    specs.iter().enumerate().any(|(i, s)| {
        s.owner == spec.owner && s.section == spec.section && s.role == Role::SendLevel && values.get_at(i) > s.min
    })
}

/// The document of engine channel `owner`: strips, then buses, then the master.
pub(crate) fn channel_of(doc: &SessionDoc, owner: usize) -> &ChannelDoc {
    let strips = doc.strips.len();
    match owner {
        o if o < strips => &doc.strips[o],
        o if o < strips + doc.buses.len() => &doc.buses[o - strips],
        _ => &doc.master,
    }
}

pub(crate) fn channel_of_mut(doc: &mut SessionDoc, owner: usize) -> &mut ChannelDoc {
    let strips = doc.strips.len();
    match owner {
        o if o < strips => &mut doc.strips[o],
        o if o < strips + doc.buses.len() => &mut doc.buses[o - strips],
        _ => &mut doc.master,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::load;
    use crate::session::resolve::build_engine;
    use std::path::Path;

    fn demo() -> SessionDoc {
        load::load(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/layouts/demo.yaml"))).unwrap().doc
    }

    #[test]
    fn unchanged_values_leave_the_document_as_it_was() {
        let doc = demo();
        let built = build_engine(&doc, 48_000.0, 0).unwrap();
        assert_eq!(doc_with_values(&doc, &built.params, &built.values, &built.values), doc);
    }

    #[test]
    fn every_changed_value_reopens_as_it_was_set() {
        let doc = demo();
        let built = build_engine(&doc, 48_000.0, 0).unwrap();
        let mut values = built.values.clone();
        // Move every parameter somewhere else in its range (except the sends between buses:
        // opening all of them would make loops, which are refused).
        for (i, spec) in built.params.specs().iter().enumerate() {
            if matches!(spec.section, Section::Send(_)) && spec.owner >= doc.strips.len() {
                continue;
            }
            let v =
                if spec.is_discrete() { spec.max - values.get_at(i) } else { spec.min + 0.37 * (spec.max - spec.min) };
            values.set_at(i, spec.constrain(v));
        }
        let saved = doc_with_values(&doc, &built.params, &built.values, &values);
        let reopened = build_engine(&saved, 48_000.0, 0).unwrap();
        for (i, spec) in built.params.specs().iter().enumerate() {
            let (want, got) = (values.get_at(i), reopened.values.get_at(i));
            assert!((want - got).abs() < 1e-4, "{}: set {want}, reopened {got}", spec.id);
        }
    }

    #[test]
    fn a_section_the_file_lacked_is_written_whole() {
        let doc = demo();
        assert!(doc.strips[2].gate.is_none(), "Keys has no gate in the demo");
        let built = build_engine(&doc, 48_000.0, 0).unwrap();
        let mut values = built.values.clone();
        values.set(built.params.lookup("strip.Keys.gate.bypass").unwrap(), 0.0);
        let saved = doc_with_values(&doc, &built.params, &built.values, &values);
        let gate = saved.strips[2].gate.as_ref().expect("gate written");
        assert_eq!(gate.get("bypass"), Some(&crate::session::schema::Scalar::Bool(false)));
        assert_eq!(gate.0.len(), crate::dsp::dynamics::GATE_PARAMS.len(), "every value of the new section");
        assert_eq!(saved.strips[2].hpf, doc.strips[2].hpf, "other sections untouched");
    }
}
