//! Starting a private JACK server with the dummy driver, for machines without
//! a sound card (and for the demo on a fresh box). It is stopped by pid when dropped.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct DummyServer {
    pub name: String,
    child: Child,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot start jackd ({0}); install it with `apt-get install jackd2`")]
    Spawn(std::io::Error),
    #[error("jackd -n {name} did not come up within {seconds} s")]
    Timeout { name: String, seconds: u64 },
}

impl DummyServer {
    /// Starts `jackd -n NAME -d dummy` at `sample_rate` with `period` frames and waits until it accepts clients.
    /// Realtime scheduling is used when `realtime` (needs rtprio rights; 64-frame periods need it).
    pub fn start(name: &str, sample_rate: u32, period: u32, realtime: bool) -> Result<DummyServer, ServerError> {
        let mut cmd = Command::new("jackd");
        cmd.arg("-n").arg(name);
        cmd.arg(if realtime { "-R" } else { "--no-realtime" });
        cmd.args(["-d", "dummy", "-r", &sample_rate.to_string(), "-p", &period.to_string()]);
        let child =
            cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().map_err(ServerError::Spawn)?;
        let server = DummyServer { name: name.to_string(), child };
        server.wait_ready(Duration::from_secs(10))?;
        Ok(server)
    }

    fn wait_ready(&self, limit: Duration) -> Result<(), ServerError> {
        let started = Instant::now();
        while started.elapsed() < limit {
            let ready = Command::new("jack_wait")
                .args(["-s", &self.name, "-c"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "running");
            if ready {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(ServerError::Timeout { name: self.name.clone(), seconds: limit.as_secs() })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for DummyServer {
    /// Stops the server politely first: a killed jackd leaves its entry in JACK's shared
    /// registry, and after a handful of those no new server can start on the machine.
    fn drop(&mut self) {
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        crate::say_err!("warning: jackd -n {} did not stop within 5 s of SIGTERM; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
