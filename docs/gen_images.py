"""Draw the documentation's figures from real runs on the local server.

Usage: ``python docs/gen_images.py [OUTPUT_DIR]`` (default ``docs/images``). Writes
``histogram.png`` (a GHZ circuit sampled on the noisy ``anemone`` device) and ``device-map.png``
(anemone's coupling map, qubits and couplings coloured by fidelity).
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from oqtopus_bridge import OqtopusDeviceBackend, OqtopusSamplingBackend  # noqa: E402
from oqtopus_bridge.local import LocalServer  # noqa: E402
from oqtopus_bridge.plotting import plot_device, plot_histogram  # noqa: E402

GHZ = """OPENQASM 3;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
h q[0];
cx q[0], q[1];
cx q[1], q[2];
c = measure q;
"""


def generate(out_dir: Path, shots: int = 2000) -> list[Path]:
    """Run the circuits and save the figures.

    Args:
        out_dir: Directory to write the PNG files to (created if needed).
        shots: Shots of the sampled circuit.

    Returns:
        The paths written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    histogram = out_dir / "histogram.png"
    device_map = out_dir / "device-map.png"
    with LocalServer() as server:
        device = OqtopusDeviceBackend(server.config).get_device("anemone")
        job = OqtopusSamplingBackend(server.config).sample_qasm(GHZ, "anemone", shots)
        result = job.result(wait=1.0)
        plot_histogram(result, title=f"GHZ state on anemone, {shots} shots").savefig(
            histogram, dpi=110, bbox_inches="tight"
        )
        # device_info is downloaded on first access, so draw the map while the server runs.
        plot_device(device).savefig(device_map, dpi=110, bbox_inches="tight")
    return [histogram, device_map]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("images")
    for path in generate(target):
        print(path)
