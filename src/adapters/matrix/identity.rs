//! The bot's cryptographic identity: a device cross-signed by the account's own identity,
//! so that clients which share room keys only with cross-signed devices (MSC4153, as
//! Element and Element X do) still talk to it, with the identity's secrets and the room
//! keys kept in server-side secret storage and key backup under one recovery key.
//!
//! The first device makes the identity and writes the recovery key once to
//! `state_dir/recovery-key`; a later device (a new machine, an emptied state directory)
//! opens secret storage with that key and signs itself with the same identity instead of
//! making a new one, which would break the trust every client placed in the old one.

use crate::config::MatrixConfig;
use anyhow::{bail, Context};
use matrix_sdk::encryption::recovery::RecoveryState;
use matrix_sdk::ruma::api::client::uiaa::{AuthData, MatrixUserIdentifier, Password, UserIdentifier};
use matrix_sdk::Client;
use std::path::{Path, PathBuf};
use tracing::{info, warn};

/// The file, in the state directory, the recovery key is written to when the bot makes
/// its identity.
pub const RECOVERY_KEY_FILE: &str = "recovery-key";

/// Makes sure the bot's device is cross-signed and its secrets are backed up under a
/// recovery key, before the bot serves: makes the identity on the account's first device,
/// restores it with the recovery key on a later one. Fails, saying what to do, when the
/// account has an identity this device cannot join.
pub async fn ensure(client: &Client, matrix: &MatrixConfig) -> anyhow::Result<()> {
    let encryption = client.encryption();
    encryption.wait_for_e2ee_initialization_tasks().await;
    let own = client.user_id().context("logged in without a user id")?.to_owned();
    if !own_device_cross_signed(client).await? {
        // The keys query just made brought the account's identity, if it has one.
        let identity = encryption
            .get_user_identity(&own)
            .await
            .context("reading the account's cross-signing identity")?;
        if identity.is_some() {
            let Some((key, from)) = recovery_key(matrix)? else {
                bail!(
                    "the account {own} already has a cross-signing identity, and this device ({}) is not signed by it: \
                     give the bot the recovery key it wrote to {} when it made the identity, \
                     as CONFBOT_RECOVERY_KEY or in the file named by [matrix] recovery_key_file",
                    client.device_id().map(|d| d.to_string()).unwrap_or_default(),
                    matrix.state_dir.join(RECOVERY_KEY_FILE).display(),
                );
            };
            encryption
                .recovery()
                .recover(key.trim())
                .await
                .with_context(|| format!("restoring the bot's identity with the recovery key from {from}"))?;
            info!(from = %from, "restored the bot's cross-signing identity with the recovery key");
        } else {
            bootstrap(client, matrix).await?;
            info!("made the bot's cross-signing identity and signed this device with it");
        }
        if !own_device_cross_signed(client).await? {
            bail!("this device is still not cross-signed after restoring the bot's identity: the recovery key may belong to an older identity of {own}");
        }
    }
    match encryption.recovery().state() {
        RecoveryState::Enabled => {}
        RecoveryState::Incomplete => match recovery_key(matrix)? {
            Some((key, from)) => {
                encryption
                    .recovery()
                    .recover(key.trim())
                    .await
                    .with_context(|| format!("completing the secret storage with the recovery key from {from}"))?;
                info!(from = %from, "completed the bot's secret storage with the recovery key");
            }
            None => warn!(
                "the account's secret storage holds secrets this device does not have; give the bot its recovery key (CONFBOT_RECOVERY_KEY) to complete it"
            ),
        },
        RecoveryState::Disabled => enable_recovery(client, matrix).await?,
        // Not worked out yet: ask the homeserver. A new recovery key where secret storage
        // exists would replace a working one.
        RecoveryState::Unknown => {
            let enabled = encryption
                .secret_storage()
                .is_enabled()
                .await
                .context("asking the homeserver whether the bot's secret storage is on")?;
            if !enabled {
                enable_recovery(client, matrix).await?;
            }
        }
    }
    Ok(())
}

/// Whether the homeserver's copy of this device carries the account's self-signature.
pub async fn own_device_cross_signed(client: &Client) -> anyhow::Result<bool> {
    let encryption = client.encryption();
    let own = client.user_id().context("logged in without a user id")?;
    // Fresh keys from the homeserver: the local copy may predate a signature.
    encryption
        .request_user_identity(own)
        .await
        .context("asking the homeserver for the bot's own keys")?;
    let device = encryption
        .get_own_device()
        .await
        .context("reading the bot's own device from the crypto store")?;
    Ok(device.is_some_and(|device| device.is_cross_signed_by_owner()))
}

/// Makes the cross-signing identity: without authentication where the homeserver allows a
/// first upload so (MSC3967), else with the password.
async fn bootstrap(client: &Client, matrix: &MatrixConfig) -> anyhow::Result<()> {
    let encryption = client.encryption();
    let Err(err) = encryption.bootstrap_cross_signing(None).await else {
        return Ok(());
    };
    let Some(uiaa) = err.as_uiaa_response() else {
        return Err(err).context("uploading the bot's cross-signing keys");
    };
    let password = super::login::password(matrix)
        .context("the homeserver wants the password to upload the bot's cross-signing keys, once")?;
    let user = client.user_id().context("logged in without a user id")?;
    let mut auth = Password::new(
        UserIdentifier::Matrix(MatrixUserIdentifier::new(user.to_string())),
        password,
    );
    auth.session = uiaa.session.clone();
    encryption
        .bootstrap_cross_signing(Some(AuthData::Password(auth)))
        .await
        .context("uploading the bot's cross-signing keys with the password")
}

/// Turns on secret storage and key backup, and writes the new recovery key once.
async fn enable_recovery(client: &Client, matrix: &MatrixConfig) -> anyhow::Result<()> {
    let key = client
        .encryption()
        .recovery()
        .enable()
        .await
        .context("turning on secret storage and key backup")?;
    let path = matrix.state_dir.join(RECOVERY_KEY_FILE);
    write_private(&path, &format!("{key}\n"))?;
    warn!(
        file = %path.display(),
        "wrote the bot's recovery key: keep a copy somewhere safe, away from this machine; \
         with it (CONFBOT_RECOVERY_KEY) a new machine restores the bot's identity and its room keys"
    );
    Ok(())
}

/// The recovery key and where it came from: `CONFBOT_RECOVERY_KEY`, else `[matrix]
/// recovery_key_file`, else the key the bot wrote to its state directory.
fn recovery_key(matrix: &MatrixConfig) -> anyhow::Result<Option<(String, String)>> {
    if let Ok(key) = std::env::var("CONFBOT_RECOVERY_KEY") {
        if !key.trim().is_empty() {
            return Ok(Some((key, "CONFBOT_RECOVERY_KEY".to_string())));
        }
    }
    if let Some(file) = &matrix.recovery_key_file {
        let key =
            std::fs::read_to_string(file).with_context(|| format!("reading recovery_key_file {}", file.display()))?;
        if key.trim().is_empty() {
            bail!("recovery_key_file {} is empty", file.display());
        }
        return Ok(Some((key, file.display().to_string())));
    }
    let written: PathBuf = matrix.state_dir.join(RECOVERY_KEY_FILE);
    match std::fs::read_to_string(&written) {
        Ok(key) if !key.trim().is_empty() => Ok(Some((key, written.display().to_string()))),
        Ok(_) => Ok(None),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading {}", written.display())),
    }
}

/// Writes `text` to `path`, readable by the bot's user only (0600), whole or not at all.
pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let temporary = path.with_extension("tmp");
    {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)
            .with_context(|| format!("writing {}", temporary.display()))?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))
}
