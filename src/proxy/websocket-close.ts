import { randomBytes } from 'node:crypto';

/** 1001: the endpoint is going away (server shutdown). */
export const GOING_AWAY = 1001;

/** A WebSocket close frame (RFC 6455 §5.5.1); frames towards a server must be masked. */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  const length = Math.min(payload.length, 125);
  if (!masked) return Buffer.concat([Buffer.from([0x88, length]), payload.subarray(0, length)]);
  const mask = randomBytes(4);
  const body = Buffer.alloc(length);
  for (let i = 0; i < length; i++) body[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([Buffer.from([0x88, 0x80 | length]), mask, body]);
}
