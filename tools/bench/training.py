"""Training time from scratch and with nothing changed, for ours and for the peer (whose model is
cached by a fingerprint)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence

import yaml

from bot import launcher
from tools.bench.paths import PEER_CONFIG, PEER_DIR, PEER_INPUTS, PEER_MODEL, PEER_RECORD, ROOT


def _fingerprint(paths: Sequence[str], extra: str = "") -> str:
    digest = hashlib.sha256(extra.encode())
    for path in launcher._files(paths):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def peer_fingerprint(epoch_fraction: float) -> str:
    """The peer's pipeline and policies (not its assistant_id, which Rasa rewrites in the file),
    the project's data and domain, Rasa's version and the epoch fraction."""
    config = yaml.safe_load(PEER_CONFIG.read_text())
    parts = {key: config.get(key) for key in ("language", "pipeline", "policies")}
    extra = f"{json.dumps(parts, sort_keys=True)} {_rasa_version()} {epoch_fraction}"
    return _fingerprint(PEER_INPUTS, extra=extra)


def _rasa_version() -> str:
    from importlib.metadata import version

    return version("rasa")


def _quiet_run(command: List[str], log: Path) -> float:
    """Runs a command with its output to `log`; returns the wall time in seconds."""
    started = time.monotonic()
    with log.open("w") as out:
        subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=True)
    return time.monotonic() - started


def train_ours(logs: Path) -> Dict[str, float]:
    """From scratch (`--force`: no cached component, into a scratch directory), then unchanged."""
    launcher.build_spacy_pipeline()
    print("  ours: training from scratch...", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        scratch_s = _quiet_run(
            [
                launcher._bin("rasa"),
                "train",
                "--force",
                "--fixed-model-name",
                "scratch",
                "--out",
                scratch,
            ],
            logs / "train_ours_scratch.log",
        )
    # The product's own path: `make train` with nothing changed.
    launcher.train_if_needed()
    unchanged_s = _quiet_run(
        [sys.executable, "-m", "bot.launcher", "train"], logs / "train_ours_unchanged.log"
    )
    return {"train_scratch_s": scratch_s, "train_unchanged_s": unchanged_s}


def _peer_train_command(config: Path, *flags: str) -> List[str]:
    """`rasa train` of the peer's config into models/peer/."""
    return [
        launcher._bin("rasa"),
        "train",
        *flags,
        "--config",
        str(config),
        "--fixed-model-name",
        "peer",
        "--out",
        str(PEER_DIR),
    ]


def train_peer(logs: Path, epoch_fraction: float = 1.0) -> Dict[str, Any]:
    """Trains the peer once per fingerprint of its inputs; later runs reuse its recorded time.

    `epoch_fraction` < 1 scales the epochs of DIET, ResponseSelector and both TED policies
    (Rasa's own `--epoch-fraction` only applies when fine-tuning): only for a busy machine; it
    understates the peer's training time and accuracy, not its serving figures.
    """
    current = peer_fingerprint(epoch_fraction)
    record: Dict[str, Any] = {}
    if PEER_RECORD.exists():
        record = json.loads(PEER_RECORD.read_text())
    cached = PEER_MODEL.exists() and record.get("fingerprint") == current
    config = PEER_CONFIG
    if epoch_fraction != 1.0:
        # Written only when training, so the "nothing changed" check sees the same file.
        config = PEER_DIR / "peer_config_scaled.yml"
        if not cached or not config.exists():
            scaled = yaml.safe_load(PEER_CONFIG.read_text())
            for part in scaled["pipeline"] + scaled["policies"]:
                if "epochs" in part:
                    part["epochs"] = max(1, round(part["epochs"] * epoch_fraction))
            PEER_DIR.mkdir(parents=True, exist_ok=True)
            config.write_text(yaml.safe_dump(scaled, sort_keys=False))
    if cached:
        print("  peer: model cached in models/peer/ (same config, data, domain); not retraining.")
    else:
        print("  peer: training from scratch (DIET, ResponseSelector, TED: slow)...", flush=True)
        PEER_DIR.mkdir(parents=True, exist_ok=True)
        scratch_s = _quiet_run(
            _peer_train_command(config, "--force"), logs / "train_peer_scratch.log"
        )
        record = {
            "fingerprint": current,
            "epoch_fraction": epoch_fraction,
            "train_scratch_s": scratch_s,
            "trained_at": time.strftime("%Y-%m-%d %H:%M"),
        }
        PEER_RECORD.write_text(json.dumps(record, indent=2))
    # Rasa's own "nothing changed" check against the model in the output directory.
    unchanged_s = _quiet_run(_peer_train_command(config), logs / "train_peer_unchanged.log")
    return {
        "epoch_fraction": epoch_fraction,
        "train_scratch_s": record["train_scratch_s"],
        "train_scratch_cached_from": record["trained_at"] if cached else None,
        "train_unchanged_s": unchanged_s,
    }
