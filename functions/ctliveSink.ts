import { makeCtliveSinkHandler } from '../lib/inboundSink';
import { coldStart } from '../lib/runtime';

/** Local stack only: what ctlive would receive through `CTLIVE_TARGET=lambda:...`. */
export const handler = coldStart('ctliveSink', ({ log }) => makeCtliveSinkHandler(log));
