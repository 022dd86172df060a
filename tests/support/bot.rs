//! The bot as a real `confbot run` process on a config of the test's own.

use super::*;

/// The bot as a real process.
pub struct Bot {
    pub user: OwnedUserId,
    pub password: String,
    pub dir: tempfile::TempDir,
    /// `RUST_LOG` for the bot process.
    pub log_filter: String,
    /// More environment for the bot process (`CONFBOT_RECOVERY_KEY`).
    pub env: Vec<(String, String)>,
    child: Option<Child>,
}

const BOT_PASSWORD: &str = "bot-password";

/// Registers a user for a bot (before the rooms it is invited to exist).
pub async fn register_user(prefix: &str) -> OwnedUserId {
    register(&unique(prefix), BOT_PASSWORD).await
}

impl Bot {
    /// Registers a bot user and writes its config (CentOS Connect schedule, invites from
    /// anyone on the test server) with `extra` TOML appended to `[matrix]`.
    pub async fn register(extra_matrix: &str) -> Bot {
        Bot::register_with(extra_matrix, "").await
    }

    /// Like [`Bot::register`], with `tail` appended to the config (more sections).
    pub async fn register_with(extra_matrix: &str, tail: &str) -> Bot {
        let user = register_user("confbot").await;
        Bot::for_user(user, extra_matrix, tail)
    }

    /// A bot for a user [`register_user`] made, with `tail` appended to the config.
    pub fn for_user(user: OwnedUserId, extra_matrix: &str, tail: &str) -> Bot {
        let password = BOT_PASSWORD.to_string();
        let dir = tempfile::tempdir().unwrap();
        let schedule = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/centos-connect-2023.toml");
        let config = format!(
            "[matrix]\nhomeserver = \"{}\"\nuser = \"{user}\"\nstate_dir = \"state\"\n{extra_matrix}\n\
             [schedule]\nsource = \"{}\"\n\n[access]\ninvite = [\"{}\"]\n{tail}\n",
            homeserver(),
            schedule.display(),
            user.server_name()
        );
        std::fs::write(dir.path().join("confbot.toml"), config).unwrap();
        Bot {
            user,
            password,
            dir,
            log_filter: "info,matrix_sdk=warn,matrix_sdk_base=warn,matrix_sdk_crypto=warn".to_string(),
            env: Vec::new(),
            child: None,
        }
    }

    /// Lifts `[commands] per_user` for a test or benchmark whose one client sends commands
    /// as fast as the homeserver takes them (the limit is tested on its own).
    pub fn without_command_limit(&self) {
        let mut config = std::fs::read_to_string(self.config_path()).unwrap();
        config.push_str("\n[commands]\nper_user = \"off\"\n");
        std::fs::write(self.config_path(), config).unwrap();
    }

    /// The bot's state directory (`[matrix] state_dir`).
    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("confbot.toml")
    }

    /// Points the bot at another homeserver URL (a proxy in front of the test one).
    pub fn use_homeserver(&self, url: &str) {
        let config = std::fs::read_to_string(self.config_path()).unwrap();
        let config = config.replacen(
            &format!("homeserver = \"{}\"", homeserver()),
            &format!("homeserver = \"{url}\""),
            1,
        );
        std::fs::write(self.config_path(), config).unwrap();
    }

    /// Starts `confbot run` with the rehearsal clock at `now`.
    pub fn start(&mut self, now: &str) {
        self.start_at_speed(now, 1.0);
    }

    /// Starts `confbot run` with the rehearsal clock at `now`, running `speed` times faster.
    /// Each rehearsal carries on from the last one's records (`--keep-rehearsal`): the
    /// tests restart the bot and expect it to remember.
    pub fn start_at_speed(&mut self, now: &str, speed: f64) {
        self.spawn(&["--now", now, "--speed", &speed.to_string(), "--keep-rehearsal"]);
    }

    /// Starts `confbot run` on the real clock, with the real day's records.
    pub fn start_real(&mut self) {
        self.spawn(&[]);
    }

    /// Starts `confbot run --config … ARGS`.
    fn spawn(&mut self, args: &[&str]) {
        assert!(self.child.is_none(), "the bot is running already");
        let child = self.command(args).spawn().expect("confbot run starts");
        self.child = Some(child);
    }

    /// The `confbot run` command for this bot, its log appended to bot.log.
    pub fn command(&self, args: &[&str]) -> Command {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("bot.log"))
            .unwrap();
        // CONFBOT_BIN: another build of the bot (scripts/bench measures the dist one).
        let program = std::env::var("CONFBOT_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_confbot").to_string());
        let mut command = Command::new(program);
        command
            .args(["run", "--config", self.config_path().to_str().unwrap()])
            .args(args)
            .env("CONFBOT_PASSWORD", &self.password)
            .env("RUST_LOG", &self.log_filter)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(log);
        command
    }

    /// `confbot provision --config … ARGS` for this bot, as a command to spawn.
    pub fn provision_command(&self, args: &[&str]) -> Command {
        let program = std::env::var("CONFBOT_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_confbot").to_string());
        let mut command = Command::new(program);
        command
            .args(["provision", "--config", self.config_path().to_str().unwrap()])
            .args(args)
            .env("CONFBOT_PASSWORD", &self.password)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Makes the config include the rooms file `confbot provision` writes beside it.
    pub fn include_rooms_file(&self) {
        let config = std::fs::read_to_string(self.config_path()).unwrap();
        std::fs::write(
            self.config_path(),
            format!("include = [\"rooms.generated.toml\"]\n{config}"),
        )
        .unwrap();
    }

    /// Runs `confbot provision --config … ARGS` to its end: the exit code, stdout, stderr.
    pub async fn provision(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let mut command = self.provision_command(args);
        let output = tokio::task::spawn_blocking(move || command.output().expect("confbot provision runs"))
            .await
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).to_string(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    }

    /// Stops the bot with SIGTERM and returns its exit code.
    pub fn stop(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        unsafe_kill(child.id(), 15);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the bot did not stop within 20 s of SIGTERM:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits up to `within` for the bot to exit by itself; its exit code.
    pub fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        let child = self.child.as_mut()?;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return status.code();
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the bot with SIGKILL, as a crash or the OOM killer would, and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The running bot's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Uses another schedule file (any format `confbot import` reads).
    pub fn use_schedule(&self, path: &Path) {
        let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/centos-connect-2023.toml");
        let config = std::fs::read_to_string(self.config_path()).unwrap();
        let config = config.replacen(
            &format!("source = \"{}\"", default.display()),
            &format!("source = \"{}\"", path.display()),
            1,
        );
        std::fs::write(self.config_path(), config).unwrap();
    }

    /// Waits until the bot has joined `room` as `peer` sees it; the bot's log on failure.
    pub async fn joined(&self, peer: &Peer, room: &Room) {
        let waited = tokio::time::timeout(WAIT + Duration::from_secs(1), async {
            let deadline = Instant::now() + WAIT;
            while Instant::now() < deadline {
                if let Ok(Some(member)) = room.get_member_no_sync(&self.user).await {
                    if *member.membership() == matrix_sdk::ruma::events::room::member::MembershipState::Join {
                        return true;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            false
        })
        .await;
        assert!(
            waited == Ok(true),
            "the bot did not join {} within {WAIT:?} (seen by {}):\n{}",
            room.room_id(),
            peer.user,
            self.log()
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("bot.log")).unwrap_or_default()
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn unsafe_kill(pid: u32, signal: i32) {
    let _ = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status();
}
