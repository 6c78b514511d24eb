/**
 * Access control in the web app (servers with AUTH_MODE=token): the dialog that asks for an API
 * token when the server answers 401, and the header's "Sign out" that forgets the stored one.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, useSyncExternalStore, type FormEvent } from 'react';
import { authStore as defaultStore, type AuthStore, type TokenPrompt } from '../../api/auth';
import { Dialog } from '../../components/Dialog';

export function useAuthState(store: AuthStore = defaultStore) {
  return useSyncExternalStore(store.subscribe, store.getState);
}

/** Mounted once: turns every 401 into the token dialog and retries what waited on it. */
export function ApiTokenGate({ store = defaultStore }: { store?: AuthStore }) {
  const { prompt } = useAuthState(store);
  useEffect(() => store.attachPrompt(), [store]);
  if (!prompt) return null;
  return <ApiTokenDialog prompt={prompt} onSubmit={store.submit} onCancel={store.cancel} />;
}

export function ApiTokenDialog({
  prompt,
  onSubmit,
  onCancel,
}: {
  prompt: TokenPrompt;
  onSubmit: (token: string) => void;
  onCancel: () => void;
}) {
  const formId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim() === '') {
      setError('Paste the API token');
      inputRef.current?.focus();
      return;
    }
    onSubmit(token.trim());
  };

  const errorId = `${formId}-token-error`;
  const hintId = `${formId}-token-hint`;
  return (
    <Dialog
      title="API token required"
      onClose={onCancel}
      initialFocus={inputRef}
      size="small"
      footer={
        <>
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" form={formId} className="button button-primary">
            Use this token
          </button>
        </>
      }
    >
      <form id={formId} className="form" onSubmit={submit} noValidate>
        {prompt.reason === 'rejected' ? (
          <div className="callout callout-error" role="alert">
            <p>The server did not accept the token: {prompt.message}.</p>
          </div>
        ) : (
          <p>This server only answers requests that carry an API token.</p>
        )}
        <div className={`field${error ? ' has-error' : ''}`}>
          <label htmlFor={`${formId}-token`}>API token</label>
          <input
            ref={inputRef}
            id={`${formId}-token`}
            name="token"
            type="password"
            value={token}
            autoComplete="off"
            spellCheck={false}
            placeholder="tm_…"
            aria-invalid={error ? true : undefined}
            aria-describedby={[error ? errorId : '', hintId].filter(Boolean).join(' ')}
            onChange={(event) => {
              setToken(event.target.value);
              setError(null);
            }}
          />
          {error && (
            <p id={errorId} className="field-error">
              {error}
            </p>
          )}
          <p id={hintId} className="field-hint">
            Ask an administrator for one, or create one on the server with{' '}
            <code>npm run token -- create --role editor</code> (<code>viewer</code> can only read).
            It is kept in this browser until you sign out.
          </p>
        </div>
      </form>
    </Dialog>
  );
}

/** "Sign out" in the header while a token is stored: forgets it and reloads the data. */
export function SignOutButton({ store = defaultStore }: { store?: AuthStore }) {
  const { token } = useAuthState(store);
  const queryClient = useQueryClient();
  if (!token) return null;
  return (
    <button
      type="button"
      className="button button-small"
      title="Forget the API token stored in this browser"
      onClick={() => {
        store.clearToken();
        // What was shown came with the token; ask again (the next request answers 401).
        void queryClient.resetQueries();
      }}
    >
      Sign out
    </button>
  );
}
