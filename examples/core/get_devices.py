"""List the devices and print every property (device_info is a dict)."""

from oqtopus_bridge import OqtopusDeviceBackend

for device in OqtopusDeviceBackend().get_devices():
    print(device.to_json()[:200], "...")
    print(
        "  device_id:", device.device_id, "| type:", device.device_type, "| status:", device.status
    )
    print("  n_qubits:", device.n_qubits, "| n_pending_jobs:", device.n_pending_jobs)
    print("  basis_gates:", device.basis_gates)
    print("  supported_instructions:", device.supported_instructions)
    print("  available_at:", device.available_at, "| calibrated_at:", device.calibrated_at)
    print("  description:", device.description)
    print("  device_info keys:", sorted(device.device_info))
