// Reading back the pcap files PacketCapture writes (classic little-endian, raw IPv4 + UDP), for media tests.

export interface PcapRecord {
  srcPort: number;
  dstPort: number;
  /** The UDP payload: one RTP or RTCP packet. */
  payload: Uint8Array;
}

/** The UDP ports and payload of each record, in file order. */
export function pcapRecords(file: Uint8Array): PcapRecord[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const records: PcapRecord[] = [];
  for (let offset = 24; offset < file.length; ) {
    const length = view.getUint32(offset + 8, true);
    const ip = offset + 16;
    records.push({ srcPort: view.getUint16(ip + 20), dstPort: view.getUint16(ip + 22), payload: file.subarray(ip + 28, ip + length) });
    offset = ip + length;
  }
  return records;
}
