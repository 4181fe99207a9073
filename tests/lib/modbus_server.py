#!/usr/bin/env python3
"""A Modbus TCP server for tests: pymodbus serving a few holding registers and a device
identification on 127.0.0.1:PORT (pymodbus 3.x, Debian 12; 2.5's sync server as a
fallback). `modbus_server.py PORT`; writes nothing, serves until killed."""
import logging
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.device import ModbusDeviceIdentification

try:
    from pymodbus.server import StartTcpServer  # pymodbus 3
except ImportError:  # pymodbus 2.5
    from pymodbus.server.sync import StartTcpServer

# pymodbus logs a cancelled handler for every client that disconnects: noise in test logs.
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

port = int(sys.argv[1])
store = ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, [230, 50, 17, 0, 0, 0, 0, 0]))
context = ModbusServerContext(slaves=store, single=True)
identity = ModbusDeviceIdentification()
identity.VendorName = "dce-test"
identity.ProductCode = "MB-LAB"
identity.MajorMinorRevision = "1.2.3"
StartTcpServer(context=context, identity=identity, address=("127.0.0.1", port))
