/**
 * The header's jobs button: how many jobs this tab follows are running, and on click the recent
 * jobs (`GET /api/jobs`, read only while the list is open) with their progress and Cancel.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { createPortal } from 'react-dom';
import { api } from '../../api/client';
import { queryKeys } from '../../api/queries';
import { Dialog } from '../../components/Dialog';
import { JobProgress, JobProgressView } from './JobProgress';
import { dismissJob, isFinished, useTrackedJobStates, useTrackedJobs } from './jobs';
import './jobs.css';

export function JobsIndicator() {
  const [open, setOpen] = useState(false);
  const states = useTrackedJobStates();
  const running = states.filter((query) => query.data && !isFinished(query.data)).length;
  return (
    <>
      <button
        type="button"
        className="button button-small"
        onClick={() => setOpen(true)}
        aria-label={running > 0 ? `Jobs: ${running} running` : 'Jobs'}
        data-testid="jobs-indicator"
      >
        Jobs
        {running > 0 && (
          <span className="jobs-badge" aria-hidden="true">
            {running}
          </span>
        )}
      </button>
      {/* Out of the header: the dialog takes the page's colours, not the header's. */}
      {open && createPortal(<JobsDialog onClose={() => setOpen(false)} />, document.body)}
    </>
  );
}

function JobsDialog({ onClose }: { onClose: () => void }) {
  const tracked = useTrackedJobs();
  const recent = useQuery({
    queryKey: queryKeys.jobList,
    queryFn: ({ signal }) => api.listJobs({ limit: 20 }, signal),
    staleTime: 0,
  });
  const listed = recent.data?.data ?? [];
  const others = tracked.filter((id) => !listed.some((job) => job.id === id));
  return (
    <Dialog
      title="Jobs"
      size="medium"
      onClose={onClose}
      scrollableBody
      footer={
        <button type="button" className="button button-primary" onClick={onClose}>
          Close
        </button>
      }
    >
      {recent.isError && (
        <p className="callout callout-error">
          The jobs could not be loaded: {recent.error.message}
        </p>
      )}
      {recent.isSuccess && listed.length === 0 && others.length === 0 && (
        <p className="empty-state">No jobs yet. Bulk changes over many products run as jobs.</p>
      )}
      <ul className="jobs-list" aria-label="Recent jobs">
        {others.map((id) => (
          <li key={id}>
            <JobProgress jobId={id} compact />
          </li>
        ))}
        {listed.map((job) => (
          <li key={job.id}>
            {isFinished(job) ? (
              <>
                <JobProgressView job={job} compact />
                {tracked.includes(job.id) && (
                  <button type="button" className="link-button" onClick={() => dismissJob(job.id)}>
                    Hide from the header
                  </button>
                )}
              </>
            ) : (
              <JobProgress jobId={job.id} compact />
            )}
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
