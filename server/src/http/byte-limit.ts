import { Transform } from 'node:stream';
import { payloadTooLarge } from '../errors.js';

/**
 * Passes a stream through and fails it with 413 once it exceeds `maxBytes`.
 *
 * The limit can be crossed before anyone reads the output (a route pipes the request body in,
 * and a lazy async generator starts reading only on its first `next()`). An 'error' emitted
 * then reaches no listener of the consumer: it crashes the process and the request hangs. So
 * the failure waits, with the input held back by back-pressure, until a consumer is attached
 * (it adds its 'error' listener in the same tick as it starts reading).
 */
export function limitBytes(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen <= maxBytes) {
        callback(null, chunk);
        return;
      }
      const fail = () =>
        callback(
          payloadTooLarge(`The upload is larger than ${maxBytes} bytes`, { max_bytes: maxBytes }),
        );
      if (this.readableFlowing !== null || this.listenerCount('readable') > 0) {
        fail();
        return;
      }
      const onListener = (event: string | symbol) => {
        if (event !== 'data' && event !== 'readable') return;
        this.off('newListener', onListener);
        process.nextTick(fail);
      };
      this.on('newListener', onListener);
    },
  });
}
