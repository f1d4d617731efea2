"""The restore-target image: where its recipe is, the tag its hash gives, building it when missing."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from mailvault import execute
from mailvault.errors import CommandFailed, DrillError
from mailvault.tools import container

logger = logging.getLogger(__name__)
REPO = "mailvault-restore-target"
RECIPE_FILES = ("Dockerfile", "build-offline.sh")


def recipe_dir() -> Path:
    """``$MAILVAULT_DOCKER_DIR``, else ``docker/`` beside the package (a source checkout), else
    ``/usr/share/mailvault/docker``. Raise DrillError when none holds the recipe."""
    candidates = [
        Path(os.environ["MAILVAULT_DOCKER_DIR"]) if os.environ.get("MAILVAULT_DOCKER_DIR") else None,
        Path(__file__).resolve().parents[2] / "docker",
        Path("/usr/share/mailvault/docker"),
    ]
    for path in candidates:
        if path is not None and all((path / f).is_file() for f in RECIPE_FILES):
            return path
    raise DrillError(
        "the restore-target image recipe (docker/Dockerfile, docker/build-offline.sh) was not found",
        hint="set MAILVAULT_DOCKER_DIR to the docker/ directory of the mailvault source",
    )


def recipe_hash(directory: Path) -> str:
    """SHA-256 over the recipe files, 12 hex digits: the image tag changes exactly when the recipe does."""
    digest = hashlib.sha256()
    for name in RECIPE_FILES:
        digest.update(name.encode() + b"\0" + (directory / name).read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def image_tag(directory: Path | None = None) -> str:
    return f"{REPO}:{recipe_hash(directory or recipe_dir())}"


def exists(cli: str, tag: str) -> bool:
    return execute.run(container.image_exists_argv(cli, tag), check=False, timeout=60).returncode == 0


def build(cli: str, tag: str) -> None:
    """Build the image with the offline recipe (debootstrap from this machine's apt sources)."""
    script = recipe_dir() / "build-offline.sh"
    logger.warning("building the restore-target image %s with %s (about a minute)", tag, script)
    try:
        execute.run(("bash", str(script), tag, cli), what="building the restore-target image", timeout=1800)
    except CommandFailed as exc:
        raise DrillError(
            f"the restore-target image {tag} could not be built",
            hint=f"run `bash {script} {tag}` to see why (it needs debootstrap and the Debian mirror)",
            details=exc.stderr_tail,
        ) from exc


def ensure(cli: str, *, build_if_missing: bool = True) -> tuple[str, bool]:
    """The image tag, built first when missing. Return (tag, built now)."""
    tag = image_tag()
    if exists(cli, tag):
        return tag, False
    if not build_if_missing:
        raise DrillError(
            f"the restore-target image {tag} is missing",
            hint="build it with `mailvault drill build-image`",
        )
    build(cli, tag)
    return tag, True
