"""Big PDFs (an event's badges, the tickets of a large order) built as jobs, a chunk at a time.

Each chunk is rendered into a part file of its own and counted in the job's checkpoint, so the
cost per page stays that of a small document, the job gives way to more urgent work between
chunks (work.AGAIN), and a run that resumes after its worker died carries on after the last
chunk saved. The checkpoint also holds a digest of what the chunks were made from: when that
changed meanwhile (a ticket renamed, a badge setting saved), the build starts over."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from pypdf import PdfWriter

from webapp.storage import storage
from webapp.work import jobs
from webapp.work.models import Job


def _parts(job: Job) -> str:
    """The folder (a storage prefix) of the job's part files: in shared storage, a job resumed on
    another node finds the chunks the first one saved."""
    return f"job_parts/{job.id}/"


def build(
    job: Job, time_slice: jobs.Slice, chunks: Sequence[Sequence], render_chunk: Callable[[Sequence], bytes], digest: str
) -> bytes | None:
    """Render the chunks not yet done; the whole PDF once all are, None when the slice ran out
    first (the caller returns work.AGAIN)."""
    saved = job.checkpoint or {}
    done = saved.get("chunks", 0) if saved.get("digest") == digest else 0
    parts = _parts(job)
    total = sum(len(chunk) for chunk in chunks)
    processed = sum(len(chunk) for chunk in chunks[:done])
    jobs.checkpoint(job, total=total, processed=processed, checkpoint={"digest": digest, "chunks": done})
    for index in range(done, len(chunks)):
        storage().write(f"{parts}{index}.pdf", render_chunk(chunks[index]))
        processed += len(chunks[index])
        jobs.checkpoint(job, processed=processed, checkpoint={"digest": digest, "chunks": index + 1})
        if time_slice.over() and index + 1 < len(chunks):
            return None
    writer = PdfWriter()
    for index in range(len(chunks)):
        writer.append(io.BytesIO(storage().read(f"{parts}{index}.pdf")))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def clean(job: Job) -> None:
    """Drop the part files of a finished job."""
    storage().delete_prefix(_parts(job))
