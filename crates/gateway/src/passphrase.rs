//! The keystore passphrase: from the file `gateway.passphrase_file` when set, else from
//! the environment variable `gateway.passphrase_env`. Never logged or printed.

use std::path::Path;

use entente_config::GatewayConfig;

use crate::{GatewayError, files::read_bounded};

/// Shortest passphrase accepted, in bytes.
pub const PASSPHRASE_BYTES_MIN: usize = 8;
/// Longest passphrase accepted, in bytes.
pub const PASSPHRASE_BYTES_MAX: usize = 1024;

/// A passphrase held in memory; its `Debug` form hides it.
#[derive(Clone)]
pub struct Passphrase(String);

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

impl Passphrase {
    /// Checks length bounds.
    pub fn new(text: String) -> Result<Self, GatewayError> {
        if text.len() < PASSPHRASE_BYTES_MIN || text.len() > PASSPHRASE_BYTES_MAX {
            return Err(GatewayError::Passphrase(format!(
                "must be {PASSPHRASE_BYTES_MIN} to {PASSPHRASE_BYTES_MAX} bytes"
            )));
        }
        Ok(Self(text))
    }

    /// Reads the passphrase from where `config` says it is.
    pub fn from_config(config: &GatewayConfig) -> Result<Self, GatewayError> {
        match &config.passphrase_file {
            Some(path) => Self::from_file(path),
            None => Self::from_env(&config.passphrase_env),
        }
    }

    /// The contents of `path`, without one trailing line break.
    pub fn from_file(path: &Path) -> Result<Self, GatewayError> {
        let bytes = read_bounded(path, PASSPHRASE_BYTES_MAX as u64 + 2)?.ok_or_else(|| {
            GatewayError::Passphrase(format!(
                "file {} (gateway.passphrase_file) does not exist",
                path.display()
            ))
        })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            GatewayError::Passphrase(format!("file {} is not UTF-8", path.display()))
        })?;
        let text = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(&text);
        Self::new(text.to_string())
            .map_err(|err| GatewayError::Passphrase(format!("file {}: {err}", path.display())))
    }

    /// The value of the environment variable `name`.
    pub fn from_env(name: &str) -> Result<Self, GatewayError> {
        let text = std::env::var(name).map_err(|_| {
            GatewayError::Passphrase(format!(
                "set the environment variable {name} (gateway.passphrase_env) \
                 or gateway.passphrase_file in the node's config"
            ))
        })?;
        Self::new(text).map_err(|err| GatewayError::Passphrase(format!("{name}: {err}")))
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_passphrase_drops_one_line_break_and_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pass");
        std::fs::write(&path, "correct horse\n").unwrap();
        assert_eq!(
            Passphrase::from_file(&path).unwrap().as_bytes(),
            b"correct horse"
        );
        std::fs::write(&path, "short\n").unwrap();
        let err = Passphrase::from_file(&path).unwrap_err().to_string();
        assert!(err.contains("8 to 1024 bytes"), "{err}");
        let err = Passphrase::from_file(&dir.path().join("missing"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
        assert_eq!(
            format!("{:?}", Passphrase::new("secret words".into()).unwrap()),
            "Passphrase(..)"
        );
    }

    #[test]
    fn environment_passphrase_names_the_variable_when_missing() {
        let config = GatewayConfig {
            passphrase_env: "ENTENTE_TEST_NO_SUCH_PASSPHRASE_VARIABLE".into(),
            ..GatewayConfig::default()
        };
        let err = Passphrase::from_config(&config).unwrap_err().to_string();
        assert!(
            err.contains("ENTENTE_TEST_NO_SUCH_PASSPHRASE_VARIABLE"),
            "{err}"
        );
    }
}
