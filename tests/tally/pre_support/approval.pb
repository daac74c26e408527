META
key;value
description;Approval example
num_projects;3
num_votes;6
budget;1000
vote_type;approval
PROJECTS
project_id;cost;votes;name
1;600;5;Lunch club
2;500;4;Community transport
3;300;1;Walking group
VOTES
voter_id;vote
1;1
2;1
3;1,2
4;1,2
5;1,2
6;2,3
