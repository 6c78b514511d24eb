import { Transform } from 'node:stream';
import { payloadTooLarge } from '../errors.js';

/** Passes a stream through and fails it with 413 once it exceeds `maxBytes`. */
export function limitBytes(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > maxBytes) {
        callback(payloadTooLarge(`The upload is larger than ${maxBytes} bytes`, { max_bytes: maxBytes }));
      } else {
        callback(null, chunk);
      }
    },
  });
}
