import { bytes, type ByteString, fromBuffer, joinBytes, toBuffer } from '../../bytes.js';
import { configError, tempError } from '../../errors.js';
import { expand } from '../../expand/index.js';
import type { ExpansionContext } from '../../expand/context.js';
import { FileTooLargeError, readFileCapped } from '../../files.js';
import type { BodyInput, ReplySource, SourceBody } from '../source.js';

/**
 * The reply as Exim's transport options write it: the header options, then the
 * `text` (a newline added when it lacks one; an empty text writes a lone
 * newline, as Exim does) and the contents of `file` (each line expanded with
 * file_expand). `--handle` names it in the once database; without one, entries
 * are keyed by the addresses alone, as they always were.
 */
export function optionsSource(handle: string | undefined): ReplySource {
  return {
    kind: 'options',
    identity: handle,
    needsWholeBody: false,
    defaultPaths: {},
    headers: (fields) => ({ fields, own: [] }),
    body: optionsBody,
  };
}

function optionsBody(input: BodyInput): SourceBody {
  let body = '';
  if (input.text !== undefined) body += input.text.endsWith('\n') ? input.text : `${input.text}\n`;
  if (input.file !== undefined) {
    const contents = readBodyFile(input.file, input.options.file_optional);
    if (contents !== undefined) body += input.options.file_expand ? expandLines(contents, input.ctx) : contents;
  }
  return { bytes: bytes(body), mime: false };
}

/** The `file` option's contents; a missing file defers unless file_optional (Exim's wording). */
function readBodyFile(path: ByteString, optional: boolean): ByteString | undefined {
  try {
    return fromBuffer(readFileCapped(toBuffer(path)));
  } catch (err) {
    if (err instanceof FileTooLargeError) throw configError(`file ${path}: larger than the ${err.limit / (1024 * 1024)} MiB autoreply sends`);
    if (optional) return undefined;
    const cause = (err as NodeJS.ErrnoException).code ?? String(err);
    throw tempError(`Failed to open file ${path} when sending message: ${cause}`);
  }
}

/** file_expand: each line expanded on its own; a line that fails is copied as it is (Exim). */
function expandLines(body: ByteString, ctx: ExpansionContext): ByteString {
  const lines = (body.match(/[^\n]*\n|[^\n]+$/g) ?? []).map(bytes);
  return joinBytes(
    lines.map((line) => {
      try {
        return expand(line, ctx).value;
      } catch {
        return line;
      }
    }),
  );
}
