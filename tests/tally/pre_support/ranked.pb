META
key;value
description;Ranked example
num_projects;3
num_votes;3
budget;1000
vote_type;ordinal
PROJECTS
project_id;cost;votes;score;name
1;600;3;5;Lunch club
2;500;3;5;Community transport
3;300;1;2;Walking group
VOTES
voter_id;vote
1;1,3,2
2;2,1
3;2,1
