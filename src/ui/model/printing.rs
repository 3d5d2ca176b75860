//! Real-time prints from the console and typed commands: which buses go beside the master,
//! and where the files go (dated, beside the session's renders).

use super::prompts::{Prompt, PromptFor};
use super::{App, Effect};
use crate::audio::live_print::{BusFile, PrintFiles};
use crate::audio::offline::{dated_render_path, renders_dir};
use crate::files::names::file_name;

impl App {
    /// `R`: stops the print under way, or asks which buses to print beside the master.
    pub(super) fn toggle_print(&mut self, effects: &mut Vec<Effect>) {
        if self.readings.print.is_some() {
            effects.push(Effect::StopPrint);
        } else {
            self.prompt = Prompt::typed(PromptFor::PrintBuses, String::new());
        }
    }

    /// Arms a print of the master and the buses named (`all`: every bus; none: the master alone).
    pub(super) fn start_print(&mut self, names: &[String], effects: &mut Vec<Effect>) -> Result<(), String> {
        let buses = self.doc.buses_named(names).map_err(|e| format!("real-time print not armed: {e}"))?;
        effects.push(Effect::StartPrint(self.print_files(&buses)));
        Ok(())
    }

    /// `renders/<session>-<date>-<n>-live.wav`, and `…-live-stem-<bus>.wav` beside it: in the
    /// session folder's renders/, or ./renders/ for a layout.
    fn print_files(&self, buses: &[usize]) -> PrintFiles {
        let dir = renders_dir(&self.file);
        let date = chrono::Local::now().format("%Y-%m-%d").to_string();
        let master = dated_render_path(&dir, &file_name(&self.name), &date, "-live");
        let stem = master.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        let strips = self.doc.strips.len();
        let buses = buses
            .iter()
            .map(|&bus| BusFile {
                bus,
                path: dir.join(format!("{stem}-stem-{}.wav", file_name(&self.doc.buses[bus].name))),
                to_master_frames: self.readings.channels.get(strips + bus).map_or(0, |r| r.to_master_frames),
            })
            .collect();
        PrintFiles { master, buses }
    }
}
