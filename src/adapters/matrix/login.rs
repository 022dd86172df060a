//! Logging in once and restoring that session on every later start, so the bot keeps one
//! device (and its encryption keys) for its whole life.

use crate::config::MatrixConfig;
use anyhow::{bail, Context};
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::encryption::{BackupDownloadStrategy, CryptoStoreError, EncryptionSettings, OlmError};
use matrix_sdk::ruma::{DeviceId, UserId};
use matrix_sdk::{Client, SqliteStoreConfig};
use std::path::Path;
use tracing::info;

/// matrix-sdk's crypto store, in `state_dir/matrix/`: the device's keys.
const CRYPTO_STORE: &str = "matrix-sdk-crypto.sqlite3";

/// Builds a client on the state directory's stores and restores the saved session, or
/// logs in and saves it. The flag says whether this was the first login.
pub async fn connect(matrix: &MatrixConfig) -> anyhow::Result<(Client, bool)> {
    let session_file = matrix.state_dir.join("session.json");
    let crypto_store = matrix.state_dir.join("matrix").join(CRYPTO_STORE);
    // Checked before the client opens its stores, which would make an empty one.
    if session_file.exists() && !crypto_store.exists() {
        bail!(
                "{} is there but the device's crypto store {} is not: the saved login cannot be used without its keys. \
                 Restore the whole state directory from a backup, or remove session.json to log in afresh as a new device \
                 (the bot restores its identity with its recovery key)",
                session_file.display(),
            crypto_store.display()
        );
    }
    let client = client(matrix).await?;
    if session_file.exists() {
        let text = std::fs::read_to_string(&session_file)
            .with_context(|| format!("reading the saved session {}", session_file.display()))?;
        let session: MatrixSession = serde_json::from_str(&text).with_context(|| {
            format!(
                "the saved session {} is damaged; remove it to log in again",
                session_file.display()
            )
        })?;
        let device = session.meta.device_id.clone();
        if let Err(err) = client.restore_session(session).await {
            if let Some((user, store_device)) = store_account(&err) {
                bail!(
                    "the crypto store in {} belongs to device {store_device} of {user}, not to the device {device} of session.json: \
                     put back the state directory's own matrix/ folder, or remove session.json and matrix/ to log in afresh as a new device \
                     (the bot restores its identity with its recovery key)",
                    matrix.state_dir.join("matrix").display(),
                );
            }
            return Err(err).context("restoring the saved session");
        }
        info!("restored the saved session");
        return Ok((client, false));
    }
    log_in(&client, matrix, None).await?;
    info!("logged in and saved the session");
    Ok((client, true))
}

/// Whose keys the crypto store holds, when restoring a session failed because they are
/// another device's.
fn store_account(err: &matrix_sdk::Error) -> Option<(&UserId, &DeviceId)> {
    let store = match err {
        matrix_sdk::Error::CryptoStoreError(store) => &**store,
        matrix_sdk::Error::OlmError(olm) => match &**olm {
            OlmError::Store(store) => store,
            _ => return None,
        },
        _ => return None,
    };
    match store {
        // `expected` is the account the store holds; `got`, the session's.
        CryptoStoreError::MismatchedAccount { expected, .. } => Some((&expected.0, &expected.1)),
        _ => None,
    }
}

/// After a soft logout (the homeserver let the access token expire, keeping the device):
/// logs in with the password as the same device, so its encryption keys stay valid, and
/// saves the new session. A new client: a running one cannot take another login.
pub async fn log_in_again(matrix: &MatrixConfig, device: &DeviceId) -> anyhow::Result<Client> {
    let client = client(matrix).await?;
    log_in(&client, matrix, Some(device)).await?;
    info!(%device, "logged in again as the same device and saved the session");
    Ok(client)
}

async fn log_in(client: &Client, matrix: &MatrixConfig, device: Option<&DeviceId>) -> anyhow::Result<()> {
    let password = password(matrix)?;
    let mut login = client
        .matrix_auth()
        .login_username(&matrix.user, &password)
        .initial_device_display_name(&matrix.device_name);
    if let Some(device) = device {
        login = login.device_id(device.as_str());
    }
    login
        .send()
        .await
        .with_context(|| format!("logging in as {}", matrix.user))?;
    let session = client.matrix_auth().session().context("no session after logging in")?;
    save_session(&matrix.state_dir.join("session.json"), &session)
}

/// A client on the state directory's stores, not logged in yet.
async fn client(matrix: &MatrixConfig) -> anyhow::Result<Client> {
    Client::builder()
        .homeserver_url(&matrix.homeserver)
        // The low-memory settings: two connections a store, a 500 kB page cache. A bot's
        // reads are few and small, and it should fit a small VPS beside its homeserver.
        .sqlite_store_with_config_and_cache_path(
            SqliteStoreConfig::with_low_memory_config(matrix.state_dir.join("matrix")).pool_max_size(2),
            None::<&Path>,
        )
        // Talk to the configured URL, not the one the login response advertises: a bot often
        // runs beside its homeserver and is configured with an internal address.
        .respect_login_well_known(false)
        // The identity and the backup are made by `identity::ensure`, where a failure can
        // stop the start with a clear error. A message whose key never came is retried
        // with the key from the backup.
        .with_encryption_settings(EncryptionSettings {
            auto_enable_cross_signing: false,
            auto_enable_backups: false,
            backup_download_strategy: BackupDownloadStrategy::AfterDecryptionFailure,
        })
        .build()
        .await
        .with_context(|| format!("preparing the client for {}", matrix.homeserver))
}

/// The password: `CONFBOT_PASSWORD`, else the `password_file`.
pub(super) fn password(matrix: &MatrixConfig) -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("CONFBOT_PASSWORD") {
        if !password.is_empty() {
            return Ok(password);
        }
    }
    let Some(file) = &matrix.password_file else {
        bail!("no password: set CONFBOT_PASSWORD, or [matrix] password_file in the config");
    };
    let text = std::fs::read_to_string(file).with_context(|| format!("reading password_file {}", file.display()))?;
    let password = text.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        bail!("password_file {} is empty", file.display());
    }
    Ok(password)
}

/// Writes the session (it holds the access token) readable by the bot's user only.
fn save_session(path: &Path, session: &MatrixSession) -> anyhow::Result<()> {
    let text = serde_json::to_string(session).context("serializing the session")?;
    super::identity::write_private(path, &text).context("saving the session")
}
