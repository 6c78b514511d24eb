/** The shell: header with the views, the current view, the `?` help dialog. */
import { useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useState } from 'react';
import { useLiveUpdates } from './api/live-updates';
import { HelpDialog } from './components/HelpDialog';
import { LiveStatus } from './components/LiveStatus';
import { ApiTokenGate, SignOutButton } from './features/auth/ApiToken';
import { HistoryView } from './features/history/HistoryView';
import { JobsIndicator } from './features/jobs/JobsIndicator';
import { ProductsWorkspace } from './features/products/ProductsWorkspace';
import { QueueView } from './features/queue/QueueView';
import { SampleDataBanner } from './features/sample-data/SampleDataBanner';
import { StatsView } from './features/stats/StatsView';
import { TransferView } from './features/transfer/TransferView';
import { isTypingTarget } from './lib/shortcuts';
import {
  CLEARED_HISTORY_FILTERS,
  DEFAULT_STATE,
  formatLocation,
  useUrlState,
  type View,
  type WorkspaceState,
} from './lib/url-state';

// Its own chunk: the chart library loads only when the view is opened.
const MonitoringView = lazy(() =>
  import('./features/monitoring/MonitoringView').then((module) => ({
    default: module.MonitoringView,
  })),
);

const VIEWS: { view: View; label: string }[] = [
  { view: 'products', label: 'Products' },
  { view: 'queue', label: 'Queue' },
  { view: 'history', label: 'History' },
  { view: 'statistics', label: 'Statistics' },
  { view: 'transfer', label: 'Import & export' },
  { view: 'monitoring', label: 'Monitoring' },
];

/**
 * Where a view's link leads: the same filters, except that History's own filters (a product, a
 * category, a kind, an actor, a job) stay on History, and History opens unfiltered.
 */
function viewTarget(state: WorkspaceState, view: View): WorkspaceState {
  if (view === 'history') return { ...DEFAULT_STATE, view };
  if (state.view === 'history') return { ...state, ...CLEARED_HISTORY_FILTERS, view };
  return { ...state, view };
}

export function App() {
  const [state, update] = useUrlState();
  const [helpOpen, setHelpOpen] = useState(false);
  // One live-updates stream for the whole app (docs/live-updates.md).
  useLiveUpdates(useQueryClient());

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === '?' && !isTypingTarget(event.target)) {
        event.preventDefault();
        setHelpOpen(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  useEffect(() => {
    const label = VIEWS.find((entry) => entry.view === state.view)?.label ?? 'Products';
    document.title = `${label} · Tag Manager`;
  }, [state.view]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <span className="brand">
          <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
            <rect width="32" height="32" rx="7" fill="currentColor" />
            <path d="M9 9h9l6 6-9 9-6-6z" fill="#fff" />
          </svg>
          Tag Manager
        </span>
        <nav aria-label="Views">
          <ul className="nav">
            {VIEWS.map((entry) => (
              <li key={entry.view}>
                <a
                  href={formatLocation(viewTarget(state, entry.view))}
                  aria-current={state.view === entry.view ? 'page' : undefined}
                  onClick={(event) => {
                    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0)
                      return;
                    event.preventDefault();
                    update(viewTarget(state, entry.view));
                  }}
                >
                  {entry.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span className="header-spacer" />
        <LiveStatus />
        <JobsIndicator />
        <a className="header-link" href="/docs">
          API docs
        </a>
        <button
          type="button"
          className="button button-small"
          onClick={() => setHelpOpen(true)}
          aria-keyshortcuts="?"
        >
          Shortcuts <kbd>?</kbd>
        </button>
        <SignOutButton />
      </header>
      <SampleDataBanner
        importHref={formatLocation({ ...state, view: 'transfer' })}
        onImport={() => update({ view: 'transfer' })}
      />
      <main id="main" className="app-main">
        {state.view === 'products' && <ProductsWorkspace state={state} update={update} />}
        {state.view === 'statistics' && (
          <StatsView
            onShowCategory={(categoryId) =>
              update({ ...DEFAULT_STATE, view: 'products', category_id: categoryId })
            }
            onShowUncategorised={() =>
              update({ ...DEFAULT_STATE, view: 'products', hide_allocated: true })
            }
          />
        )}
        {state.view === 'transfer' && <TransferView state={state} />}
        {state.view === 'queue' && <QueueView state={state} update={update} />}
        {state.view === 'history' && <HistoryView state={state} update={update} />}
        {state.view === 'monitoring' && (
          <Suspense fallback={<div className="page" aria-busy="true" />}>
            <MonitoringView />
          </Suspense>
        )}
      </main>
      {helpOpen && <HelpDialog onClose={() => setHelpOpen(false)} />}
      <ApiTokenGate />
    </div>
  );
}
