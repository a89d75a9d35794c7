//! The binary as a separate process, for the tests that need one (a replica killed
//! mid-stream, a server's memory under attack): started with the test settings of the
//! in-process [`crate::TestApp`] where the two overlap, ready once `/readyz` answers,
//! killed and reaped however the test ends.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use crate::TEST_SECRET;

/// How to start one `api serve`.
pub struct ServeCommand {
    command: Command,
    port: u16,
}

impl ServeCommand {
    /// `api serve` of `binary` (a test's `env!("CARGO_BIN_EXE_api")`) on `database_url`,
    /// on a free port of its own, with tokens signed by [`TEST_SECRET`], a budget for
    /// signed-in users that no test reaches, and warnings only in its log, which is not
    /// kept.
    pub fn new(binary: &str, database_url: &str) -> ServeCommand {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut command = Command::new(binary);
        // Only what this says: nothing of the caller's environment decides how it runs.
        for inherited in [
            "DATABASE_URL",
            "JWT_PUBLIC_KEY_FILE",
            "JWT_SECRET_PREVIOUS",
            "JWT_ROLE_CLAIM",
            "JWT_HANDLE_CLAIM",
            "JWT_STAFF_ROLE",
            "JWT_FELLOW_ROLE",
            "CURSOR_SECRET",
            "CURSOR_SECRET_PREVIOUS",
            "REDIS_URL",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_TRACES_SAMPLER",
            "OTEL_TRACES_SAMPLER_ARG",
            "TRACE_SLOW_RESOLVER",
        ] {
            command.env_remove(inherited);
        }
        command
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("JWT_SECRET", TEST_SECRET)
            .env("RATE_LIMIT_USER", "100000000")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        ServeCommand { command, port }
    }

    /// Listens on `port` instead of a free port of its own: a replica restarted where
    /// its load balancer expects it.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Loads the demo data at start.
    pub fn demo(mut self) -> Self {
        self.command.arg("--demo");
        self
    }

    /// Keeps its log (stderr) in the file at `path` instead of dropping it.
    pub fn log_to(mut self, path: &Path) -> Self {
        self.command
            .stderr(std::fs::File::create(path).expect("create the log file"));
        self
    }

    /// A setting, as the operator's environment gives it.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.command.env(name, value);
        self
    }

    /// Starts the process and waits until it is ready (`/readyz` answers 200).
    pub async fn start(mut self) -> ServeProcess {
        self.command
            .args(["--bind", &format!("127.0.0.1:{}", self.port)]);
        // Owned at once, so that it is killed and reaped however this ends.
        let mut process = ServeProcess {
            child: self.command.spawn().expect("start api serve"),
            port: self.port,
            address: format!("http://127.0.0.1:{}", self.port),
        };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            // A server that could not start (its port taken meanwhile, a setting
            // refused) says so now, not after the whole wait.
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!(
                    "api serve on port {} exited before it was ready: {status}",
                    self.port
                );
            }
            let ready = client
                .get(format!("{}/readyz", process.address))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return process;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("api serve on port {} did not become ready", self.port);
    }
}

/// A running `api serve`.
pub struct ServeProcess {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
}

impl ServeProcess {
    /// The process id, to read its memory or signal it.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for it to exit, and reaps it.
    pub fn wait(&mut self) -> ExitStatus {
        self.child.wait().expect("wait for api serve")
    }

    /// Its exit status, if it has exited (reaping it), without waiting.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("ask whether api serve exited")
    }

    /// Ends it at once, as a crash would, and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks it to stop, as an orchestrator does (SIGTERM).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {}", self.child.id());
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// POSTs JSON to the server and returns the raw response text.
pub fn post_raw(port: u16, headers: &[(&str, &str)], body: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut request = format!(
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

/// Insists that a command exited 0, showing what it printed when it did not.
pub fn assert_succeeded(output: &std::process::Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
