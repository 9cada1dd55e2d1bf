// Cron jobs: the list, a job with its runs, and the create and edit forms.
import { Route, Switch } from 'wouter';
import { NotFoundPage } from '../NotFoundPage';
import { CronForm } from './CronForm';
import { CronJobPage } from './CronJobPage';
import { CronList } from './CronList';

export function CronPage() {
  return (
    <Switch>
      <Route path="/cron">
        <CronList />
      </Route>
      <Route path="/cron/new">
        <CronForm />
      </Route>
      <Route path="/cron/:jobId">
        <CronJobPage />
      </Route>
      <Route path="/cron/:jobId/edit">
        <CronForm />
      </Route>
      <Route>
        <NotFoundPage />
      </Route>
    </Switch>
  );
}
