"""Starting and stopping `missile serve` for the benchmark scripts, and sampling its memory."""
import re
import signal
import subprocess
import threading
import time


class ServerProcess:
    """`missile serve --config CONFIG` on the configured port; .url once it listens."""

    def __init__(self, missile, config, port=0):
        self.process = subprocess.Popen([missile, "serve", "--config", str(config), "--port", str(port)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log = []
        deadline = time.time() + 600  # loading large models on a busy machine takes a while
        while time.time() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("missile serve exited:\n" + "".join(self.log))
            self.log.append(line)
            match = re.search(r"listening on (http://[\d.]+:\d+)", line)
            if match:
                self.url = match.group(1)
                threading.Thread(target=self._drain, daemon=True).start()
                return
        raise RuntimeError("missile serve did not start:\n" + "".join(self.log))

    def _drain(self):
        for line in self.process.stdout:
            self.log.append(line)

    def stop(self):
        """SIGTERM; returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=120)


class RssSampler:
    """Samples a process's resident set size (VmRSS) once per `interval` seconds on a thread."""

    def __init__(self, pid, interval=1.0):
        self.pid = pid
        self.interval = interval
        self.samples = []  # (seconds since start, bytes)
        self.stopping = threading.Event()
        self.start = time.time()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            try:
                with open(f"/proc/{self.pid}/status") as status:
                    for line in status:
                        if line.startswith("VmRSS:"):
                            self.samples.append((time.time() - self.start, int(line.split()[1]) * 1024))
            except FileNotFoundError:
                return
            self.stopping.wait(self.interval)

    def stop(self):
        self.stopping.set()
        self.thread.join()
        return self.samples


def svg_line_chart(points, title, x_label, y_label):
    """A minimal SVG line chart of (x, y) points (the load test's RSS over time)."""
    width, height, left, right, top, bottom = 760, 360, 80, 20, 40, 50
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = 0.0, max(xs) if xs else 1.0
    y0, y1 = 0.0, max(ys) * 1.1 if ys else 1.0
    sx = lambda x: left + (x - x0) / (x1 - x0 or 1) * (width - left - right)  # noqa: E731
    sy = lambda y: top + (1 - (y - y0) / (y1 - y0 or 1)) * (height - top - bottom)  # noqa: E731
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
             f'font-size="12"><rect width="100%" height="100%" fill="white"/>',
             f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">{title}</text>']
    for i in range(6):
        y = y0 + (y1 - y0) * i / 5
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{y:.0f}</text>')
    for i in range(7):
        x = x0 + (x1 - x0) * i / 6
        parts.append(f'<text x="{sx(x):.1f}" y="{height - bottom + 18}" text-anchor="middle">{x:.0f}</text>')
    parts.append(f'<text x="{width / 2}" y="{height - 10}" text-anchor="middle">{x_label}</text>')
    parts.append(f'<text x="16" y="{height / 2}" text-anchor="middle" '
                 f'transform="rotate(-90 16 {height / 2})">{y_label}</text>')
    parts.append('<polyline fill="none" stroke="#1f77b4" stroke-width="1.6" points="' +
                 " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points) + '"/>')
    parts.append(f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" '
                 f'fill="none" stroke="#333"/></svg>')
    return "\n".join(parts) + "\n"


def metric(text, sample):
    """The value of one sample line (`name{labels}`) of a Prometheus text page."""
    for line in text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    raise KeyError(sample)


def machine_description():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        memory_kb = int(meminfo.readline().split()[1])
    with open("/proc/loadavg") as loadavg:
        load = loadavg.read().split()[:3]
    import os
    return {"cpu": model, "cpus": os.cpu_count(), "memory_gib": round(memory_kb / 2**20, 1),
            "load_average_at_start": [float(x) for x in load]}
