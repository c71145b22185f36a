"""The documentation figures are produced by docs/gen_images.py and render to PNG."""

from __future__ import annotations

import importlib.util

import matplotlib.image


def test_gen_images_writes_both_figures(repo_root, tmp_path):
    spec = importlib.util.spec_from_file_location(
        "gen_images", repo_root / "docs" / "gen_images.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    paths = module.generate(tmp_path, shots=300)
    assert [p.name for p in paths] == ["histogram.png", "device-map.png"]
    for path in paths:
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        image = matplotlib.image.imread(path)
        assert image.shape[0] > 200 and image.shape[1] > 200
        assert image.std() > 0.05  # not a blank canvas
