// Webhooks: the endpoints, a new one, and an endpoint with its deliveries.
import { Route, Switch } from 'wouter';
import { NotFoundPage } from '../NotFoundPage';
import { WebhookForm } from './WebhookForm';
import { WebhookList } from './WebhookList';
import { WebhookPage } from './WebhookPage';

export function WebhooksPage() {
  return (
    <Switch>
      <Route path="/webhooks">
        <WebhookList />
      </Route>
      <Route path="/webhooks/new">
        <WebhookForm />
      </Route>
      <Route path="/webhooks/:webhookId">
        <WebhookPage />
      </Route>
      <Route>
        <NotFoundPage />
      </Route>
    </Switch>
  );
}
