/** The API token form: shown when the API answers 401; the token stays in this tab's session. */
import { useState } from 'preact/hooks';
import { ScreenTitle } from './ui/bits.tsx';

export function TokenForm(props: { hadToken: boolean; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  return (
    <section class="panel token">
      <ScreenTitle>Sign in</ScreenTitle>
      {props.hadToken ? (
        <p class="note note-bad" role="alert">
          The API refused that token. Check it and try again.
        </p>
      ) : null}
      <p>
        This Crosswalk asks for its API token (the value of <code>CROSSWALK_API_TOKEN</code>). The console
        keeps it in this browser tab only, and sends it as <code>Authorization: Bearer …</code>.
      </p>
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim() !== '') props.onToken(token.trim());
        }}
      >
        <label for="api-token">API token</label>
        <input
          id="api-token"
          type="password"
          autoComplete="current-password"
          required
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <button type="submit" class="primary">
          Use token
        </button>
      </form>
    </section>
  );
}
