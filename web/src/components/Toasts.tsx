/**
 * Toasts: short messages in a live region. Errors stay until dismissed (they carry the request
 * id an operator quotes to support) or until the same action succeeds (same `topic`);
 * confirmations leave on their own.
 */
import {
  createContext,
  useCallback,
  useContext,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';

export interface Toast {
  id: number;
  kind: 'error' | 'success' | 'info';
  title: string;
  message?: string;
  requestId?: string | null;
  /**
   * What the toast is about ("category.rename"). A success on a topic dismisses the errors on
   * it (the failure it reported is over), and a new error on a topic replaces the older one.
   */
  topic?: string;
}

interface ToastContextValue {
  toasts: Toast[];
  show: (toast: Omit<Toast, 'id'>) => void;
  dismiss: (id: number) => void;
}

const ToastContext = createContext<ToastContextValue | undefined>(undefined);

const AUTO_DISMISS_MS = 6000;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);
  const dismiss = useCallback((id: number) => {
    setToasts((current) => current.filter((toast) => toast.id !== id));
  }, []);
  const show = useCallback(
    (toast: Omit<Toast, 'id'>) => {
      const id = nextId.current++;
      setToasts((current) => {
        const kept = toast.topic
          ? current.filter((shown) => shown.topic !== toast.topic || shown.kind !== 'error')
          : current;
        return [...kept.slice(-4), { ...toast, id }];
      });
      if (toast.kind !== 'error') setTimeout(() => dismiss(id), AUTO_DISMISS_MS);
    },
    [dismiss],
  );
  const value = useMemo(() => ({ toasts, show, dismiss }), [toasts, show, dismiss]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <ToastRegion toasts={toasts} dismiss={dismiss} />
    </ToastContext.Provider>
  );
}

export function useToasts(): ToastContextValue {
  const context = useContext(ToastContext);
  if (!context) throw new Error('useToasts needs a ToastProvider');
  return context;
}

function ToastRegion({ toasts, dismiss }: { toasts: Toast[]; dismiss: (id: number) => void }) {
  return (
    <div className="toast-region" aria-live="polite" aria-label="Notifications" role="region">
      {toasts.map((toast) => (
        <div
          key={toast.id}
          className={`toast toast-${toast.kind}`}
          role={toast.kind === 'error' ? 'alert' : 'status'}
          data-testid="toast"
        >
          <div className="toast-body">
            <strong className="toast-title">{toast.title}</strong>
            {toast.message && <p className="toast-message">{toast.message}</p>}
            {toast.requestId && (
              <p className="toast-request">
                Request ID: <code>{toast.requestId}</code>
              </p>
            )}
          </div>
          <button
            type="button"
            className="icon-button"
            aria-label={`Dismiss: ${toast.title}`}
            onClick={() => dismiss(toast.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
