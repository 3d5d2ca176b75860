//! Layouts shipped in `layouts/`, built into the binary so `headroom new` works from anywhere.

use std::path::{Path, PathBuf};

use super::load::{self, LoadError, Loaded};
use super::schema::SessionDoc;

pub const BUILT_IN: [(&str, &str); 3] = [
    ("demo", include_str!("../../layouts/demo.yaml")),
    ("band-16", include_str!("../../layouts/band-16.yaml")),
    ("podcast", include_str!("../../layouts/podcast.yaml")),
];

/// Loads a layout by built-in name (`band-16`) or by path (`my/layout.yaml`).
pub fn load_layout(name_or_path: &str) -> Result<Loaded, LoadError> {
    let path = Path::new(name_or_path);
    if let Some((name, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path)
        && !path.exists()
    {
        let file = PathBuf::from(format!("layouts/{name}.yaml"));
        let (doc, locations) = load::parse(text, &file)?;
        return Ok(Loaded { doc, file, base_dir: PathBuf::from("."), locations });
    }
    load::load(path)
}

#[derive(Debug, thiserror::Error)]
pub enum NewSessionError {
    #[error("{}: already exists; choose another name or remove it first", .0.display())]
    Exists(PathBuf),
    #[error(transparent)]
    Layout(#[from] LoadError),
    #[error("{}: the folder's name is the session's name, and {problem}", dir.display())]
    Name { dir: PathBuf, problem: String },
    #[error("{}: cannot create: {source}", path.display())]
    Create { path: PathBuf, source: std::io::Error },
}

/// Makes a session folder `dir` from a layout: `session.yaml`, `renders/`, `versions/`.
/// Relative file inputs are rewritten against the layout's folder so they still resolve.
pub fn new_session(dir: &Path, layout: &str) -> Result<PathBuf, NewSessionError> {
    let loaded = load_layout(layout)?;
    let mut doc = loaded.doc;
    doc.name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or(doc.name);
    if let Some(problem) = crate::files::names::name_problem(&doc.name, true) {
        return Err(NewSessionError::Name { dir: dir.to_path_buf(), problem });
    }
    create_session_folder(dir, doc, &loaded.base_dir).map(|(file, _)| file)
}

/// Writes `doc` as the session of a new folder `dir`; returns the file and the document as
/// written (relative stem paths resolved from `layout_dir`, so they still find their files).
pub fn create_session_folder(
    dir: &Path,
    mut doc: SessionDoc,
    layout_dir: &Path,
) -> Result<(PathBuf, SessionDoc), NewSessionError> {
    if dir.exists() {
        return Err(NewSessionError::Exists(dir.to_path_buf()));
    }
    let layout_dir = std::fs::canonicalize(layout_dir).unwrap_or(layout_dir.to_path_buf());
    for strip in &mut doc.strips {
        if let Some(file) = strip.input.as_mut().and_then(|i| i.file.as_mut())
            && !file.starts_with(crate::demo::PREFIX)
            && Path::new(file.as_str()).is_relative()
        {
            *file = layout_dir.join(&*file).to_string_lossy().into_owned();
        }
    }
    let create = |path: &Path| {
        std::fs::create_dir_all(path).map_err(|source| NewSessionError::Create { path: path.to_path_buf(), source })
    };
    create(&dir.join("renders"))?;
    create(&dir.join("versions"))?;
    let file = dir.join("session.yaml");
    load::save(&file, &doc).map_err(|source| NewSessionError::Create { path: file.clone(), source })?;
    Ok((file, doc))
}
