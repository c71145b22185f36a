"""The documentation figures are produced by docs/gen_images.py and render to PNG."""

from __future__ import annotations

import importlib.util
import io

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


def test_device_plot_draws_the_coupling_map_of_a_real_device(local_server):
    from oqtopus_bridge import OqtopusDeviceBackend

    device = OqtopusDeviceBackend(local_server.config).get_device("anemone")
    fig = device.plot()
    info = device.device_info
    pairs = {tuple(sorted((c["control"], c["target"]))) for c in info["couplings"]}
    assert len(fig.axes[0].collections) == len(info["qubits"])
    assert len(fig.axes[0].get_lines()) == len(pairs)
    assert fig.axes[0].get_title() == "anemone"
    _assert_png(fig)


def test_sampling_result_plot_of_a_real_job(local_server):
    from oqtopus_bridge import OqtopusSamplingBackend

    program = (
        'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nx q[1];\nc = measure q;\n'
    )
    result = OqtopusSamplingBackend(local_server.config).sample_qasm(program, "qulacs", 50).result()
    fig = result.plot(title="x on qubit 1")  # a Figure, as plot_histogram returns (issue 17.5)
    ax = fig.axes[0]
    assert "classical bit 0 rightmost" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "10"
    ]  # classical bit 1 set, bit 0 right
    assert [p.get_height() for p in ax.patches] == [1.0]
    _assert_png(fig)


def _assert_png(fig):
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG\r\n\x1a\n")
    assert matplotlib.image.imread(io.BytesIO(buffer.getvalue()), format="png").std() > 0.05
